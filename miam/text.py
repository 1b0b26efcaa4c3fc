import re
import unicodedata

_SAINT = re.compile(r"\b(st|ste)\b")


def normalize(text: str) -> str:
    """Lower-case, accent-free, punctuation as spaces, "st"/"ste" spelled out: for search."""
    text = (text or "").replace("œ", "oe").replace("Œ", "oe").replace("æ", "ae").replace("Æ", "ae")
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    text = re.sub(r"[^a-z0-9]+", " ", text).strip()
    return _SAINT.sub(lambda m: "saint" if m.group(1) == "st" else "sainte", text)
