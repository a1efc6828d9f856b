"""The SPARQL query endpoint of each pod: a read-only dataset of exactly the graphs the agent may read."""
