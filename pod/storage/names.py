"""How resource names and media types map to file names, compatible with CSS's and NSS's file layout.

A document's media type is told by its file extension; when the name's own extension does not
tell the right type, the file is stored as `name$.ext` (the CSS convention). Names are stored
with '%' and '$' percent-encoded, so every '$' in a file name is the server's: the part after
the first '$' is either `.ext` or marks a file of the server's own, and no
URL name can ever collide with a file the server keeps for itself.
"""

from __future__ import annotations

import mimetypes
from dataclasses import dataclass
from urllib.parse import quote, unquote

from pod.storage.base import OCTET_STREAM

# Python's built-in table only (not the machine's /etc/mime.types), so every machine agrees.
_BUILTIN = mimetypes.MimeTypes(filenames=())
_RDF_TYPES = {
    "ttl": "text/turtle",
    "acl": "text/turtle",
    "meta": "text/turtle",
    "jsonld": "application/ld+json",
    "nt": "application/n-triples",
    "nq": "application/n-quads",
    "trig": "application/trig",
    "n3": "text/n3",
    "rdf": "application/rdf+xml",
    "owl": "application/rdf+xml",
}
# Extensions Python's built-in table lacks, though `_PREFERRED_EXTENSION` names them: without
# these, a document stored as `name$.md` would not be read back (CSS gives `README$.markdown`).
_OTHER_TYPES = {"md": "text/markdown", "markdown": "text/markdown"}
_PREFERRED_EXTENSION = {
    "text/turtle": "ttl",
    "application/ld+json": "jsonld",
    "application/n-triples": "nt",
    "text/n3": "n3",
    "application/rdf+xml": "rdf",
    "text/plain": "txt",
    "text/html": "html",
    "application/json": "json",
    "image/jpeg": "jpg",
    "text/markdown": "md",
    "application/octet-stream": "bin",
}
SEPARATOR = "$"
# The server's own folder in the data folder: a name no URL can map to.
INTERNAL_FOLDER = "$pod"
# Media types with no extension of their own are stored as `name$.{TYPE_MARK}{quoted type}`.
TYPE_MARK = "type-"


def encode_name(name: str) -> str:
    return name.replace("%", "%25").replace("$", "%24")


def decode_name(stored: str) -> str:
    return unquote(stored)


def extension_of(name: str) -> str:
    """The extension of a name ('acl' for '.acl' too), lower-cased, or ''."""
    _, dot, ext = name.rpartition(".")
    return ext.lower() if dot else ""


def media_type_of_extension(ext: str) -> str | None:
    if ext in _RDF_TYPES:
        return _RDF_TYPES[ext]
    if ext in _OTHER_TYPES:
        return _OTHER_TYPES[ext]
    if ext.startswith(TYPE_MARK):
        return unquote(ext[len(TYPE_MARK) :])
    guessed, _ = _BUILTIN.guess_type("x." + ext, strict=False)
    return guessed


def extension_for(media_type: str) -> str:
    if media_type in _PREFERRED_EXTENSION:
        return _PREFERRED_EXTENSION[media_type]
    guessed = _BUILTIN.guess_extension(media_type, strict=False)
    if guessed and media_type_of_extension(guessed[1:]) == media_type:
        return guessed[1:]
    return TYPE_MARK + quote(media_type, safe="")


def file_name_for(name: str, media_type: str) -> str:
    """The file name a document with this resource name and media type is stored under."""
    own = media_type_of_extension(extension_of(name)) or OCTET_STREAM
    if own == media_type:
        return encode_name(name)
    return f"{encode_name(name)}{SEPARATOR}.{extension_for(media_type)}"


@dataclass(frozen=True, slots=True)
class StoredName:
    """What a file name in the data folder says: the resource name and, for files, the media type."""

    name: str
    media_type: str


def parse_file_name(file_name: str) -> StoredName | None:
    """The resource a file stands for, or None for the server's own files (temporary, internal)."""
    stem, separator, suffix = file_name.partition(SEPARATOR)
    if not stem:
        return None
    if not separator:
        # The type is told by the name's own extension, as file_name_for read it: decoded first
        # (an extension like `type-text%2Fturtle` is stored as `type-text%252Fturtle`).
        name = decode_name(file_name)
        return StoredName(name, media_type_of_extension(extension_of(name)) or OCTET_STREAM)
    if not suffix.startswith("."):
        return None
    told = media_type_of_extension(suffix[1:].lower())
    return None if told is None else StoredName(decode_name(stem), told)
