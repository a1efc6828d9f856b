"""What the endpoint must know about a query before running it: its form, FROM clauses, a SERVICE fallback.

pyoxigraph does not expose its parser, so these are lexical checks on the query text. SERVICE
clauses are found by a real parser (pod.sparql.clauses); `check_services` here is what stands
in for it when that parser cannot read a query (oxigraph's extensions, or text written to
split the two parsers). It guards against harm (a SERVICE call is an outbound HTTP request:
SSRF), so it does not tokenize at all — a tokenizer can be led to disagree with the real
parser about where a string or an IRI starts (`<` is both an IRI opener and less-than).
Instead it looks at every occurrence of the letters `service`, in any case, and lets one pass
only when its neighbours prove that oxigraph cannot read it as the keyword. The other checks
only choose messages and defaults: when they guess wrong, a query gets a worse answer, never
more data.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pod.errors import BadRequest

# SPARQL 1.1 Query §19.8 grammar: the first keyword after the prologue (BASE, PREFIX) decides.
_PROLOGUE = re.compile(
    r"""(?:\s+|\#[^\n\r]*|BASE\s*<[^>]*>|PREFIX\s+[^\s:]*:\s*<[^>]*>)*""", re.IGNORECASE | re.VERBOSE
)
_FIRST_WORD = re.compile(r"[A-Za-z]+")
QUERY_FORMS = frozenset({"SELECT", "CONSTRUCT", "DESCRIBE", "ASK"})
# SPARQL 1.1 Update §3: the operations; WITH starts a DELETE/INSERT with a default graph.
UPDATE_FORMS = frozenset(
    {"INSERT", "DELETE", "LOAD", "CLEAR", "CREATE", "DROP", "COPY", "MOVE", "ADD", "WITH"}
)

# A best-effort tokenizer, for the FROM check only (strings, IRIs and comments skipped).
_SKIPPED = re.compile(
    r"""'''(?:(?:'|'')?(?:[^'\\]|\\.))*'''|\"\"\"(?:(?:"|"")?(?:[^"\\]|\\.))*\"\"\""""
    r"""|'(?:[^'\\\n\r]|\\.)*'|"(?:[^"\\\n\r]|\\.)*"|<[^<>"{}|^`\\\x00-\x20]*>|\#[^\n\r]*""",
    re.DOTALL,
)
_FROM = re.compile(r"(?<![\w:?$@.\-])FROM(?![\w:\-])", re.IGNORECASE)

_SERVICE = re.compile("service", re.IGNORECASE)
# Characters that, right before `service`, mean oxigraph is inside a longer token (a prefixed
# name, a variable, a blank node label, a language tag), never at the start of a keyword.
_INSIDE_TOKEN_BEFORE = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ:?$@_")
# SPARQL 1.1 Query §19.8 [59] ServiceGraphPattern: 'SERVICE' 'SILENT'? VarOrIri. After the
# keyword come white space or a comment, then SILENT, a variable, an IRI or a prefixed name.
_CAN_FOLLOW_KEYWORD = frozenset("?$<:#")
# Wider than SPARQL's PN_PREFIX (any non-ASCII character counts), so it never stops short of a ':'.
_NAME_CHARS = re.compile(r"(?:[A-Za-z0-9_.\-]|[^\x00-\x7f])*")


@dataclass(frozen=True, slots=True)
class QueryShape:
    """The form of a query (SELECT, CONSTRUCT, DESCRIBE or ASK) and whether it names its dataset."""

    form: str
    has_dataset_clause: bool


def inspect(query: str) -> QueryShape:
    """The shape of a read-only query; 400 for update operations."""
    start = _PROLOGUE.match(query)
    first = _FIRST_WORD.match(query, start.end() if start else 0)
    word = first.group(0).upper() if first else ""
    if word in UPDATE_FORMS:
        # SPARQL 1.1 Protocol §2.2: updates have their own operation; this endpoint offers none.
        raise BadRequest(
            f"{word} is a SPARQL Update operation: this endpoint is read-only. Write with LDP "
            "requests (PUT, POST, PATCH with application/sparql-update) to the resources themselves"
        )
    return QueryShape(word if word in QUERY_FORMS else "", _has_from(query))


def _has_from(query: str) -> bool:
    return _FROM.search(_SKIPPED.sub(" ", query)) is not None


def check_services(query: str, why: str = "this query does not parse as SPARQL 1.1") -> None:
    """400 unless every `service` in the text is provably no SERVICE keyword (for queries not parsed)."""
    for match in _SERVICE.finditer(query):
        start, end = match.span()
        if _may_be_keyword(query, start, end):
            raise BadRequest(
                f"SERVICE is refused: {why}, so its SERVICE clauses cannot be checked, "
                "and the word 'service' in it may be the keyword"
            )


def _may_be_keyword(query: str, start: int, end: int) -> bool:
    if start > 0:
        before = query[start - 1]
        # `trueSERVICE` and `falseSERVICE` parse as a boolean literal followed by the keyword.
        ends_boolean = query[:start].lower().endswith(("true", "false"))
        if before in _INSIDE_TOKEN_BEFORE and not ends_boolean:
            return False
    if end == len(query):
        return False
    after = query[end]
    if after.isspace() or after in _CAN_FOLLOW_KEYWORD:
        return True
    if after.isascii() and not (after.isalpha() or after == "_"):
        return False  # `>`, `/`, `"`, a digit...: nothing that may follow the keyword
    # Letters right after: SILENT, or the prefix of a prefixed name (which ends with ':').
    name = _NAME_CHARS.match(query, end)
    assert name is not None
    word = name.group(0)
    return word.lower().startswith("silent") or query[end + len(word) : end + len(word) + 1] == ":"
