"""Find French words in the visible text of a page, leaving out the data it shows.

A page rendered in English may still show French *data* (names of farms, communes,
meetings, the initiatives catalog's texts, what people typed): that is not a missing
translation. What is left once the data is taken out must hold no French word.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

from django.apps import apps
from django.db import models

# Unmistakable French words: an English page never uses them outside a name.
FRENCH_WORDS = frozenset(
    """
    le la les des du de une au aux pour avec votre vos vous nous notre nos est sont ces cette dans
    sur chez sans mais ou où et qui que aucun aucune leur leurs très déjà été être à après même ici
    voir modifier ajouter supprimer enregistrer retour accueil réunion réunions offre offres besoin
    besoins ferme fermes producteur producteurs territoire territoires
    """.split()  # noqa: SIM905 (a list of words reads better as words)
)
# French proper nouns and administrative terms that stay French in the English text.
KEPT_FRENCH = (
    "Restos du Cœur",
    "Secours populaire",
    "Croix-Rouge",
    "Communauté de communes",
    "Communauté d'agglomération",
    "Communauté urbaine",
    "Métropole",
    "République Française",
    "République",
    "Française",
    "Système de design de l’État",
    "Nature & Progrès",
    "Bio Cohérence",
    "Bienvenue à la ferme",
    "Territoires à VivreS",
    "Plan IGN",
    "Géoplateforme",
    "Français",
    "départements",
    "département",
    "Département",
)
ACCENTED = re.compile(r"[àâçéèêëîïôûùüÿœæ]", re.IGNORECASE)
URL = re.compile(r"\bhttps?://\S+|(?<!\w)/[\w./?=&%-]+/")
FRENCH_SPACING = re.compile(r"\w[ \u00a0\u202f][:;!?](?=\s|$)")
WORD = re.compile(r"[A-Za-zÀ-ÖØ-öø-ÿŒœ]+(?:['’][A-Za-zÀ-ÖØ-öø-ÿŒœ]+)?")
VISIBLE_ATTRIBUTES = ("title", "aria-label", "placeholder", "alt")


class _TextParser(HTMLParser):
    """Collects text nodes and the attributes a person sees or hears, outside scripts and styles."""

    SKIPPED = {"script", "style", "template", "noscript"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.texts: list[str] = []
        self._skip = 0
        self.lang = ""

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "html":
            self.lang = attributes.get("lang") or ""
        if tag in self.SKIPPED:
            self._skip += 1
        for name in VISIBLE_ATTRIBUTES:
            if attributes.get(name):
                self.texts.append(attributes[name])
        if tag == "input" and attributes.get("type") in {"submit", "button"} and attributes.get("value"):
            self.texts.append(attributes["value"])

    def handle_endtag(self, tag):
        if tag in self.SKIPPED and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip and data.strip():
            self.texts.append(data)


def visible_texts(html: str) -> tuple[str, list[str]]:
    """The page's ``lang`` and its visible text nodes (whitespace collapsed)."""
    parser = _TextParser()
    parser.feed(html)
    return parser.lang, [" ".join(t.split()) for t in parser.texts]


def _strings_in(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings_in(v)]
    if isinstance(value, (list, tuple)):
        return [s for v in value for s in _strings_in(v)]
    return []


class PageData:
    """Every piece of text the database holds: what pages show as data, not as interface.

    Text fields with choices are labels (translated), product categories must be shown in the
    page's language, and notifications are written by MIAM itself: none of them counts as data.
    One text MIAM writes is still French and counted as data for now: a match's explanation
    (``Match.explanation``, written by the matching engine, which has no translation machinery).
    """

    NOT_DATA = {("products", "productcategory"), ("actors", "notification")}

    def __init__(self):
        strings: set[str] = set()
        for model in apps.get_models():
            meta = model._meta
            if meta.app_label not in {"actors", "products", "offers", "meetings", "initiatives"}:
                continue
            if (meta.app_label, meta.model_name) in self.NOT_DATA:
                continue
            fields = [
                f.attname
                for f in meta.concrete_fields
                if isinstance(f, (models.CharField, models.TextField, models.JSONField)) and not f.choices
            ]
            if not fields:
                continue
            for row in model.objects.values_list(*fields):
                for value in row:
                    for text in _strings_in(value):
                        text = " ".join(text.split())
                        if len(text) >= 2:
                            strings.add(text)
        self.blob = "\x00".join(sorted(strings))
        # Longest first, so that "Ferme de Germigney" goes before "Germigney".
        names = sorted((s for s in strings if len(s) <= 200), key=len, reverse=True)
        self._names = [re.compile(r"(?<!\w)" + re.escape(s) + r"(?!\w)") for s in names]
        self._first_chars = {}
        for s, pattern in zip(names, self._names, strict=True):
            self._first_chars.setdefault(s[:3].lower(), []).append((s, pattern))

    def french_words(self, text: str) -> list[str]:
        """The French words of a piece of page text that are not data."""
        if not french_words(text):
            return []
        return french_words(self.strip(text))

    def french_spacing(self, text: str) -> list[str]:
        """French typography left in English text: a space before « : ; ! ? »."""
        if not FRENCH_SPACING.search(text):
            return []
        return FRENCH_SPACING.findall(URL.sub(" ", self.strip(text)))

    def strip(self, text: str) -> str:
        """The text with every piece of data it shows taken out."""
        core = text.strip(" …·:—–-()«»\"'")
        if not core or core in self.blob:
            return ""
        lowered = text.lower()
        present = [
            (s, pattern)
            for key, candidates in self._first_chars.items()
            if key in lowered
            for s, pattern in candidates
            if s in text
        ]
        for _s, pattern in sorted(present, key=lambda item: len(item[0]), reverse=True):
            text = pattern.sub(" ", text)
        return text


def french_words(text: str) -> list[str]:
    """The French words in a piece of interface text."""
    text = URL.sub(" ", text)
    for kept in KEPT_FRENCH:
        text = text.replace(kept, " ")
    found = []
    for word in WORD.findall(text):
        lowered = word.lower().replace("’", "'")
        head = lowered.split("'")[0]
        elided = "'" in lowered and head in {"l", "d", "qu", "n", "j", "s"}
        if lowered in FRENCH_WORDS or elided or ACCENTED.search(word):
            found.append(word)
    return found
