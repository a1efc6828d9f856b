"""The media types query results are served in (SPARQL 1.1 Protocol §2.1.6), and their oxigraph formats."""

from __future__ import annotations

import pyoxigraph as ox

from pod.rdf import formats

SPARQL_JSON = "application/sparql-results+json"
SPARQL_XML = "application/sparql-results+xml"
CSV = "text/csv"
TSV = "text/tab-separated-values"

# SELECT and ASK, in order of preference (JSON when the client does not mind).
SOLUTION_FORMATS: dict[str, ox.QueryResultsFormat] = {
    SPARQL_JSON: ox.QueryResultsFormat.JSON,
    SPARQL_XML: ox.QueryResultsFormat.XML,
    CSV: ox.QueryResultsFormat.CSV,
    TSV: ox.QueryResultsFormat.TSV,
}
# CONSTRUCT and DESCRIBE, in order of preference (Turtle as for resources).
GRAPH_FORMATS: dict[str, ox.RdfFormat] = {
    formats.TURTLE: ox.RdfFormat.TURTLE,
    formats.JSON_LD: ox.RdfFormat.JSON_LD,
    formats.N_TRIPLES: ox.RdfFormat.N_TRIPLES,
    formats.RDF_XML: ox.RdfFormat.RDF_XML,
}
# Names clients use for the same formats (SPARQLWrapper asks for application/json and
# application/turtle, among others): negotiated like the canonical type, served as it.
ALIASES = {
    "application/json": SPARQL_JSON,
    "application/xml": SPARQL_XML,
    "text/xml": SPARQL_XML,
    "application/turtle": formats.TURTLE,
    "application/x-turtle": formats.TURTLE,
    "application/x-json+ld": formats.JSON_LD,
}
