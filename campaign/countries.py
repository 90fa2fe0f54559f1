"""Countries of the European Union, as the EP and users write them.

A user may say Ireland, Irlande, Irland or IE; the EP's list gives the
country in the language it was fetched in. Selection compares all of them.
"""

from __future__ import annotations

import functools

from campaign.names import normalise

# ISO code: English, French, German, and the country's own name(s).
COUNTRIES: dict[str, tuple[str, ...]] = {
    "AT": ("Austria", "Autriche", "Österreich"),
    "BE": ("Belgium", "Belgique", "Belgien", "België"),
    "BG": ("Bulgaria", "Bulgarie", "Bulgarien", "България"),
    "HR": ("Croatia", "Croatie", "Kroatien", "Hrvatska"),
    "CY": ("Cyprus", "Chypre", "Zypern", "Κύπρος"),
    "CZ": ("Czechia", "Czech Republic", "Tchéquie", "République tchèque", "Tschechien", "Česko"),
    "DK": ("Denmark", "Danemark", "Dänemark", "Danmark"),
    "EE": ("Estonia", "Estonie", "Estland", "Eesti"),
    "FI": ("Finland", "Finlande", "Finnland", "Suomi"),
    "FR": ("France", "Frankreich"),
    "DE": ("Germany", "Allemagne", "Deutschland"),
    "GR": ("Greece", "Grèce", "Griechenland", "Ελλάδα", "EL"),
    "HU": ("Hungary", "Hongrie", "Ungarn", "Magyarország"),
    "IE": ("Ireland", "Irlande", "Irland", "Éire"),
    "IT": ("Italy", "Italie", "Italien", "Italia"),
    "LV": ("Latvia", "Lettonie", "Lettland", "Latvija"),
    "LT": ("Lithuania", "Lituanie", "Litauen", "Lietuva"),
    "LU": ("Luxembourg", "Luxemburg"),
    "MT": ("Malta", "Malte"),
    "NL": ("Netherlands", "Pays-Bas", "Niederlande", "Nederland"),
    "PL": ("Poland", "Pologne", "Polen", "Polska"),
    "PT": ("Portugal",),
    "RO": ("Romania", "Roumanie", "Rumänien", "România"),
    "SK": ("Slovakia", "Slovaquie", "Slowakei", "Slovensko"),
    "SI": ("Slovenia", "Slovénie", "Slowenien", "Slovenija"),
    "ES": ("Spain", "Espagne", "Spanien", "España"),
    "SE": ("Sweden", "Suède", "Schweden", "Sverige"),
    "GB": ("United Kingdom", "Royaume-Uni", "Vereinigtes Königreich", "UK"),
    "KZ": ("Kazakhstan", "Kasachstan", "Қазақстан"),
}

_BY_NAME = {normalise(n): code for code, names in COUNTRIES.items() for n in (code, *names)}


def code_of(name: str | None) -> str | None:
    """ISO code for any spelling we know, or None."""
    if not name:
        return None
    return _code_of(name)


@functools.lru_cache(maxsize=512)
def _code_of(name: str) -> str | None:
    # Cached: a mail merge asks for the same few countries 705 times.
    return _BY_NAME.get(normalise(name))


def english(name: str | None) -> str | None:
    code = code_of(name)
    return COUNTRIES[code][0] if code else name


def same_country(value: str, wanted: str) -> bool:
    a, b = code_of(value), code_of(wanted)
    if a and b:
        return a == b
    return normalise(value) == normalise(wanted)


def known_names() -> list[str]:
    return [names[0] for names in COUNTRIES.values()]


def resolve(name: str, option: str = "--country") -> str:
    """ISO code for a country the user typed; an unknown one is a usage error naming close ones."""
    code = code_of(name)
    if code:
        return code
    from campaign.errors import UsageError
    from campaign.names import suggest

    every = [n for code_, names in COUNTRIES.items() for n in (*names, code_)]
    close = suggest(name, every)
    hint = (f"did you mean {', '.join(repr(c) for c in close)}?" if close
            else "give an English name, the EP's translated name or an ISO code (IE)")
    raise UsageError(f"{option}: unknown country '{name}'", hint)
