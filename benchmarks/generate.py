"""Realistic CRM contact exports with known truth, for examples, tests and benchmarks.

Run it as a script::

    python benchmarks/generate.py --n 300 --seed 7 \\
        --output examples/contacts.csv --truth examples/contacts_truth.csv

or import it::

    >>> header, rows, truth = generate(50, seed=1)
    >>> header[:4]
    ('record_id', 'first_name', 'last_name', 'email')
    >>> len(rows) == len(truth) == 50
    True

**What is in the data.** Contacts from eight countries (US, GB, DE, FR, ES, NL, CA, AU) with
per-country name pools (Zipf-weighted, accents included), streets, cities, postcodes and phone
numbering plans. A share of the *entities* (``dup_share``, 30% by default) get one to four
extra records; duplicates carry realistic corruptions: case changes, nicknames (Bob/Robert,
Hans/Johannes, Pepe/José, Kees/Cornelis ...), typos (insert/delete/transpose/keyboard
substitution), swapped first/last names, ``"Last, First"`` in one field, honorifics, dropped
accents, e-mail case changes, Gmail dots and ``+tags``, phones in other national formats,
street-type abbreviations, postcode variants (no space, leading zero lost), company legal-form
variants, dates in four formats (ISO, US ``m/d/Y``, ``d.m.Y``, ``12 Mar 1984``), day/month
swaps, a second address after a move, and missing fields.

The hard negatives a resolver must *not* merge are there on purpose: **households** (same
surname, address and landline; different first names and birth dates), **namesakes** (same
first and last name; different birth date, e-mail and city), **colleagues** (same company,
address and switchboard number) and companies (organisation records without a person).

**Determinism.** Output depends only on ``n``, ``seed`` and ``dup_share``: every random draw comes
from one :class:`numpy.random.Generator` (bulk draws) or from :class:`random.Random` instances
seeded from it (per-record string edits). Entities are generated in fixed-size chunks that are
written as they are made, so memory stays flat at millions of records. An entity's records
never cross a chunk, and records are shuffled within their chunk.

**Privacy.** All people are invented. Phone numbers are random within real numbering plans (so
libphonenumber accepts them) and e-mail domains include real free-mail providers (needed for
Gmail-dot variants): such numbers and addresses may exist. Never call or mail them.
"""

from __future__ import annotations

import argparse
import bisect
import functools
import itertools
import random
import sys
import time
import unicodedata
import zlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from _typeshed import SupportsLenAndGetItem

import numpy as np

_T = TypeVar("_T")

HEADER: tuple[str, ...] = (
    "record_id",
    "first_name",
    "last_name",
    "email",
    "phone",
    "company",
    "street",
    "city",
    "postcode",
    "country",
    "date_of_birth",
    "updated_at",
    "source",
)
TRUTH_HEADER: tuple[str, ...] = ("record_id", "entity_id")

#: The generated columns per crmresolve role (the hand-configured field map of this data).
FIELDS: dict[str, list[str]] = {
    "given_name": ["first_name"],
    "surname": ["last_name"],
    "email": ["email"],
    "phone": ["phone"],
    "company": ["company"],
    "street": ["street"],
    "city": ["city"],
    "postcode": ["postcode"],
    "country": ["country"],
    "dob": ["date_of_birth"],
    "updated_at": ["updated_at"],
    "source": ["source"],
}

#: Entities per chunk; part of the output definition (changing it changes the data).
CHUNK_ENTITIES = 20_000
#: The day "now" for updated_at ages: fixed so output does not depend on when it is run.
REFERENCE_DAY = np.datetime64("2025-06-30")

# ----------------------------------------------------------------------------------- pools


def _words(text: str, sep: str | None = None) -> tuple[str, ...]:
    """Split a word list kept as one string (pools stay readable and short)."""
    return tuple(w.strip() for w in text.split(sep) if w.strip())


_EN_MALE = _words(
    "James John Robert Michael William David Richard Joseph Thomas Charles Christopher Daniel "
    "Matthew Anthony Andrew Steven Edward Benjamin Samuel Nicholas Jonathan Alexander Timothy "
    "Gregory Peter Henry Theodore Kevin Brian George Patrick Jack Oliver Harry Liam Noah Ethan "
    "Ryan Jacob Owen Mark Paul"
)
_EN_FEMALE = _words(
    "Mary Patricia Jennifer Linda Elizabeth Barbara Susan Jessica Sarah Karen Margaret "
    "Katherine Rebecca Deborah Victoria Alexandra Dorothy Emily Emma Olivia Sophie Charlotte "
    "Amelia Grace Hannah Chloe Lucy Megan Laura Rachel Amy Helen Frances Abigail Zoë Renée "
    "Isla Ava Mia Susannah Christine"
)
_EN_SURNAMES = _words(
    "Smith Johnson Williams Brown Jones Miller Davis Wilson Anderson Taylor Thomas Moore "
    "Jackson Martin Lee Thompson White Harris Clark Lewis Robinson Walker Young Allen King "
    "Wright Scott Green Baker Adams Nelson Hill Campbell Mitchell Roberts Carter Phillips Evans "
    "Turner Parker Collins Edwards Stewart Morris Murphy Cook Rogers Morgan Cooper Peterson "
    "O'Brien O'Connor McDonald MacLeod Fitzgerald Hughes Price Bennett Wood Kelly"
)
_EN_PARTS = (
    _words(
        "Ash Black Brad Brook Craw Dun Elling Fair Hart Hol Kings Lang Mar North Pen Ral Red "
        "Ship Stan Thorn Whit Wood Bur Chat Dal Har Mel Rad Wen Ed"
    ),
    _words("ford ton ley well wood field by more den ham worth shaw ridge stone cott"),
)

_DE_MALE = _words(
    "Johannes Josef Friedrich Wilhelm Bernhard Thomas Michael Andreas Stefan Christian "
    "Alexander Matthias Wolfgang Jürgen Klaus Uwe Dieter Günter Jörg Lukas Maximilian Felix "
    "Jonas Leon Tobias Sebastian Florian Markus Dominik Ralf Horst Manfred Heinz Karl-Heinz "
    "Hans-Peter Franz"
)
_DE_FEMALE = _words(
    "Stefanie Gabriele Katharina Elisabeth Margarete Susanne Franziska Anna Maria Ursula "
    "Monika Petra Sabine Birgit Claudia Andrea Julia Laura Lena Lea Sophie Hannah Jana Sarah "
    "Annika Jutta Renate Brigitte Käthe Dörte Bärbel Anne-Marie"
)
_DE_SURNAMES = _words(
    "Müller Schmidt Schneider Fischer Weber Meyer Wagner Becker Schulz Hoffmann Schäfer Koch "
    "Bauer Richter Klein Wolf Schröder Neumann Schwarz Zimmermann Braun Krüger Hofmann "
    "Hartmann Lange Schmitt Werner Schmitz Krause Meier Lehmann Schmid Schulze Maier Köhler "
    "Herrmann König Walter Mayer Huber Kaiser Fuchs Peters Lang Scholz Möller Weiß Jung Hahn "
    "Schubert Vogel Keller Günther Frank Berger Winkler Roth Beck Lorenz Baumann"
)
_DE_PARTS = (
    _words(
        "Schön Wein Hof Berg Stein Rosen Linden Eichen Alt Neu Kirch Wald Bach Brunn Feld Holz "
        "Kalten Sonnen Stern Wolf"
    ),
    _words("berg mann er hoff stein bach feld ner hauser inger brunner meier"),
)

_FR_MALE = _words(
    "Jean Pierre Michel André Philippe Alain Nicolas Christophe Frédéric Stéphane Laurent "
    "Sébastien François Éric Julien Olivier Guillaume Alexandre Thomas Antoine Maxime Hugo "
    "Lucas Louis Gabriel Jérôme Benoît Rémi Jean-Pierre Jean-Luc Jean-Baptiste Thierry "
    "Patrick Yves"
)
_FR_FEMALE = _words(
    "Marie Nathalie Isabelle Sylvie Catherine Françoise Valérie Christine Sophie Stéphanie "
    "Véronique Élisabeth Céline Émilie Julie Aurélie Camille Léa Manon Chloé Inès Hélène Anne "
    "Monique Martine Sandrine Laetitia Margaux Zoé Noémie Marie-Claire Anne-Sophie"
)
_FR_SURNAMES = _words(
    "Martin Bernard Dubois Thomas Robert Richard Petit Durand Leroy Moreau Simon Laurent "
    "Lefebvre Michel Garcia David Bertrand Roux Vincent Fournier Morel Girard André Lefèvre "
    "Mercier Dupont Lambert Bonnet François Martinez Legrand Garnier Faure Rousseau Blanc "
    "Guérin Muller Henry Roussel Nicolas Perrin Morin Mathieu Clément Gauthier Dumont Lopez "
    "Fontaine Chevalier Robin Masson Gérard Nguyen Boyer Denis Lemaire Duval Joly Noël"
)
_FR_PARTS = (
    _words("Beau Bel Bon Chev Del Dur Fon Lam Mar Mont Ros Val Ville Cham Ber"),
    _words("mont lier ard eau ier ot in ault ette ois ville court"),
)

_ES_MALE = _words(
    "José, Antonio, Manuel, Francisco, Juan, David, Javier, Daniel, Carlos, Jesús, Alejandro, "
    "Miguel, Rafael, Pablo, Pedro, Ángel, Sergio, Fernando, Jorge, Luis, Alberto, Álvaro, "
    "Adrián, Diego, Raúl, Enrique, Ignacio, Ramón, Andrés, Rubén, Óscar, Iván, Hugo, Mario, "
    "José Luis, Juan Carlos, José Antonio",
    ",",
)
_ES_FEMALE = _words(
    "María, Carmen, Ana, Isabel, Laura, Cristina, Marta, Lucía, Dolores, Pilar, Elena, Rosa, "
    "Concepción, Paula, Sara, Raquel, Beatriz, Patricia, Silvia, Julia, Mercedes, Rocío, "
    "Rosario, Josefa, Guadalupe, Nuria, Sofía, Alba, Irene, Andrea, Inés, María José, "
    "María Carmen",
    ",",
)
_ES_SURNAMES = _words(
    "García Rodríguez González Fernández López Martínez Sánchez Pérez Gómez Martín Jiménez "
    "Ruiz Hernández Díaz Moreno Muñoz Álvarez Romero Alonso Gutiérrez Navarro Torres "
    "Domínguez Vázquez Ramos Gil Ramírez Serrano Blanco Molina Morales Suárez Ortega Delgado "
    "Castro Ortiz Rubio Marín Sanz Núñez Iglesias Medina Garrido Cortés Castillo Santos "
    "Lozano Guerrero Cano Prieto Méndez Cruz Calvo Gallego Vidal León Márquez Herrera Peña"
)

_NL_MALE = _words(
    "Johannes Cornelis Jacobus Hendrik Wilhelmus Petrus Gerardus Adrianus Theodorus "
    "Franciscus Antonius Jan Pieter Willem Dirk Bram Daan Sem Lucas Levi Thijs Ruben Joost "
    "Maarten Sander Bas Niels Jeroen Stijn Erik Gert-Jan"
)
_NL_FEMALE = _words(
    "Maria Johanna Elisabeth Cornelia Anna Wilhelmina Hendrika Petronella Geertruida Anneke "
    "Sanne Femke Lotte Fleur Emma Julia Sophie Lisa Eva Iris Noor Tess Saskia Ingrid Wendy "
    "Ilse Esther Marloes Anne-Marie"
)
_NL_SURNAMES = _words(
    "de Jong, Jansen, de Vries, Bakker, Visser, Smit, Meijer, de Boer, Mulder, de Groot, Bos, "
    "Vos, Peters, Hendriks, Dekker, Brouwer, de Wit, Dijkstra, Smits, de Graaf, van der Meer, "
    "van der Linden, Kok, Jacobs, de Haan, Vermeulen, van den Berg, van Dijk, van Leeuwen, "
    "Janssen, van Beek, Willems, Hoekstra, Maas, Verhoeven, Koster, Prins, Blom, Huisman, "
    "de Bruijn, van Wijk, Kuipers, Postma, Schouten, van der Heijden, Timmermans, Groen",
    ",",
)
_NL_PARTS = (
    ("van", "van der", "van den", "de", "ter", "van de"),
    _words(
        "Berg Dijk Vliet Beek Meer Veen Bosch Heuvel Wal Leeuw Graaf Laan Hoven Broek Kamp "
        "Horst Velde Molen Wetering Zande"
    ),
)

_CA_MALE = _EN_MALE + _words("Jean Marc Luc Mathieu Gabriel Étienne Benoît Félix")
_CA_FEMALE = _EN_FEMALE + _words("Sylvie Geneviève Chantal Josée Mélanie Nathalie Isabelle")
_CA_SURNAMES = _EN_SURNAMES[:40] + _words(
    "Tremblay Gagnon Roy Côté Bouchard Gauthier Morin Lavoie Fortin Gagné Ouellet Pelletier "
    "Bélanger Lévesque"
)

# Nicknames a duplicate may use instead of the given name: the generator's own list, kept
# independent of the matcher's nickname data so that benchmarks do not grade the matcher on
# its own dictionary. Format: "Full: nick nick; Full: nick".
_NICKNAMES: dict[str, tuple[str, ...]] = {
    full.strip(): _words(nicks)
    for full, _, nicks in (
        entry.partition(":")
        for entry in _words(
            "Robert: Bob Rob Bobby; William: Bill Will Billy; Elizabeth: Liz Beth Betty Lizzie; "
            "Margaret: Peggy Maggie Meg; James: Jim Jimmy Jamie; John: Jack Johnny; "
            "Richard: Dick Rick Rich; Michael: Mike Mick; Christopher: Chris Kit; "
            "Katherine: Kate Kathy Katie; Jennifer: Jen Jenny; Anthony: Tony; Joseph: Joe Joey; "
            "Thomas: Tom Tommy; Daniel: Dan Danny; Matthew: Matt; Andrew: Andy Drew; "
            "Edward: Ed Ted Eddie; Charles: Charlie Chuck; Patricia: Pat Patty Trish; "
            "Susan: Sue Susie; Deborah: Debbie Deb; Rebecca: Becky; Alexander: Alex; "
            "Benjamin: Ben; Samuel: Sam; Nicholas: Nick; Jonathan: Jon; Victoria: Vicky Tori; "
            "Alexandra: Alex Sandra; Theodore: Ted Theo; Henry: Harry Hank; Dorothy: Dot Dottie; "
            "Barbara: Barb; Frances: Fran; Steven: Steve; Gregory: Greg; Timothy: Tim; "
            "Peter: Pete; Abigail: Abby; Christine: Chris Tina; Johannes: Hans Jan Joop; "
            "Josef: Sepp; Friedrich: Fritz; Wilhelm: Willi; Bernhard: Bernd; Stefanie: Steffi; "
            "Gabriele: Gabi; Katharina: Kathi Katja; Elisabeth: Lisa Liesbeth Els; "
            "Margarete: Grete; Susanne: Susi; Franziska: Franzi; Andreas: Andi; Matthias: Matze; "
            "Maximilian: Max; Frédéric: Fred; Alexandre: Alex; Christophe: Chris; Nicolas: Nico; "
            "Philippe: Phil; Catherine: Cathy; Isabelle: Isa; Stéphanie: Steph; Véronique: Véro; "
            "Élisabeth: Babette Élise; José: Pepe; Francisco: Paco Curro; Manuel: Manolo; "
            "Dolores: Lola; Concepción: Concha; Ignacio: Nacho; Guadalupe: Lupe; Jesús: Chuy; "
            "Rosario: Charo; Enrique: Quique; Fernando: Nando; Josefa: Pepa; Mercedes: Merche; "
            "Alejandro: Álex; Cornelis: Kees; Jacobus: Koos Jaap; Hendrik: Henk; Wilhelmus: Wim; "
            "Petrus: Piet; Gerardus: Gerard Gert; Adrianus: Arie Ad; Theodorus: Theo; "
            "Franciscus: Frans; Antonius: Toon Ton; Johanna: Jo; Wilhelmina: Mien Willy; "
            "Geertruida: Truus; Petronella: Nel",
            ";",
        )
    )
}

_HONORIFICS = ("Dr.", "Mr", "Mr.", "Mrs", "Ms.", "Prof.", "Dr")
_HONORIFICS_BY_COUNTRY = {
    "DE": ("Herr", "Frau", "Dr."),
    "FR": ("M.", "Mme", "Dr"),
    "ES": ("Sr.", "Sra.", "Dr."),
    "NL": ("dhr.", "mevr.", "Dr."),
}

_ABC = "abcdefghijklmnopqrstuvwxyz"
_KEYBOARD_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm")


def _keyboard_neighbours() -> dict[str, str]:
    """Letters next to each key on a QWERTY keyboard (same row and the rows above/below)."""
    pos = {ch: (r, c) for r, row in enumerate(_KEYBOARD_ROWS) for c, ch in enumerate(row)}
    return {
        ch: "".join(
            o for o, (r2, c2) in pos.items() if o != ch and abs(r2 - r) <= 1 and abs(c2 - c) <= 1
        )
        for ch, (r, c) in pos.items()
    }


_KEYBOARD = _keyboard_neighbours()


@dataclass(frozen=True)
class City:
    name: str
    postcode: str  # postcode prefix; GB and CA: outward codes separated by "|"
    area: str  # landline area code (start of the national significant number)
    sub_first: str  # allowed first digits of a landline subscriber number
    sub_len: int  # subscriber number length


def _cities(spec: str, sub_first: str, sub_len: int) -> tuple[City, ...]:
    """``"Name:postcode:area, ..."``; a 4th and 5th part override sub_first and sub_len."""
    out = []
    for item in spec.split(","):
        parts = [p.strip() for p in item.split(":")]
        first = parts[3] if len(parts) > 3 else sub_first
        length = int(parts[4]) if len(parts) > 4 else sub_len
        out.append(City(parts[0], parts[1], parts[2], first, length))
    return tuple(out)


@dataclass(frozen=True)
class Country:
    code: str
    names: tuple[str, ...]  # how the country column spells it; the first is canonical
    male: tuple[str, ...]
    female: tuple[str, ...]
    surnames: tuple[str, ...]
    surname_parts: tuple[tuple[str, ...], tuple[str, ...]]  # compound surname parts
    cities: tuple[City, ...]
    street_stems: tuple[str, ...]
    street_types: tuple[tuple[str, ...], ...]  # canonical first, then variants
    layout: str  # street layout: "en" "de" "fr" "es" "nl"
    calling_code: str
    mobile_prefixes: tuple[str, ...]  # empty: mobiles look like landlines (NANP)
    mobile_len: int  # national significant number length of a mobile
    domains: tuple[str, ...]  # personal e-mail domains, most common first
    legal_forms: tuple[tuple[str, ...], ...]  # canonical first, then variants
    tld: str
    date_weights: tuple[float, float, float, float]  # ISO, m/d/Y, d.m.Y, "12 Mar 1984"


def _variants(spec: str) -> tuple[tuple[str, ...], ...]:
    """``"Street|St.|St; Road|Rd."`` → canonical form first, then variants."""
    return tuple(tuple(v.strip() for v in group.split("|")) for group in spec.split(";"))


_EN_STREETS = _words(
    "Main High Church Park Oak Maple Cedar Elm Pine Washington Lake Hill Station Victoria King "
    "Queen George Mill School North Bridge Green Manor Chestnut Walnut Spring Sunset River"
)
_EN_TYPES = _variants(
    "Street|St.|St|Str.; Road|Rd.|Rd; Avenue|Ave.|Ave|Av.; Lane|Ln.|Ln; Drive|Dr.|Dr; "
    "Place|Pl.; Boulevard|Blvd.|Blvd; Close|Cl.; Court|Ct."
)
_NANP_CITIES = "23456789"

COUNTRIES: dict[str, Country] = {
    "US": Country(
        code="US",
        names=("US", "USA", "United States", "U.S.", "United States of America"),
        male=_EN_MALE,
        female=_EN_FEMALE,
        surnames=_EN_SURNAMES,
        surname_parts=_EN_PARTS,
        cities=_cities(
            "New York:100:212, San Francisco:941:415, Chicago:606:312, Boston:021:617, "
            "Seattle:981:206, Austin:787:512, Denver:802:303, Atlanta:303:404, Miami:331:305, "
            "Los Angeles:900:213, Houston:770:713, Portland:972:503, Philadelphia:191:215, "
            "Phoenix:850:602, Newark:071:973, Hartford:061:860",
            _NANP_CITIES,
            7,
        ),
        street_stems=_EN_STREETS,
        street_types=_EN_TYPES,
        layout="en",
        calling_code="1",
        mobile_prefixes=(),
        mobile_len=10,
        domains=("gmail.com", "yahoo.com", "outlook.com", "hotmail.com", "icloud.com", "aol.com"),
        legal_forms=_variants(
            "Inc.|Inc|, Inc.|Incorporated; LLC|L.L.C.|Llc; Corp.|Corporation|Corp"
        ),
        tld="com",
        date_weights=(0.45, 0.40, 0.0, 0.15),
    ),
    "CA": Country(
        code="CA",
        names=("CA", "Canada", "CAN"),
        male=_CA_MALE,
        female=_CA_FEMALE,
        surnames=_CA_SURNAMES,
        surname_parts=_EN_PARTS,
        cities=_cities(
            "Toronto:M5V|M4C|M6G:416, Vancouver:V6B|V5K:604, Montréal:H2X|H3A:514, "
            "Calgary:T2P|T3A:403, Ottawa:K1P|K2C:613, Halifax:B3H|B3K:902, Winnipeg:R3C|R2M:204",
            _NANP_CITIES,
            7,
        ),
        street_stems=_EN_STREETS,
        street_types=_EN_TYPES,
        layout="en",
        calling_code="1",
        mobile_prefixes=(),
        mobile_len=10,
        domains=("gmail.com", "yahoo.ca", "hotmail.com", "outlook.com", "rogers.com", "shaw.ca"),
        legal_forms=_variants("Inc.|Inc|Incorporated; Ltd.|Ltd|Limited; Corp.|Corporation"),
        tld="ca",
        date_weights=(0.6, 0.2, 0.05, 0.15),
    ),
    "GB": Country(
        code="GB",
        names=("GB", "UK", "United Kingdom", "England", "Great Britain"),
        male=_EN_MALE,
        female=_EN_FEMALE,
        surnames=_EN_SURNAMES,
        surname_parts=_EN_PARTS,
        cities=_cities(
            "London:SW1A|E1|N1|W2|SE1|NW3|EC1A|WC2H:20:378:8, Manchester:M1|M4|M20:161, "
            "Birmingham:B1|B15:121, Leeds:LS1|LS6:113, Glasgow:G1|G12:141, "
            "Edinburgh:EH1|EH3:131, Liverpool:L1|L17:151, Bristol:BS1|BS8:117:234, "
            "Sheffield:S1|S10:114",
            "2345",  # first subscriber digits valid in every listed area code
            7,
        ),
        street_stems=_EN_STREETS,
        street_types=_EN_TYPES,
        layout="en",
        calling_code="44",
        mobile_prefixes=("771", "772", "773", "775", "777", "753", "759"),
        mobile_len=10,
        domains=("gmail.com", "btinternet.com", "yahoo.co.uk", "hotmail.co.uk", "sky.com"),
        legal_forms=_variants("Ltd|Ltd.|Limited; PLC|plc|Public Limited Company"),
        tld="co.uk",
        date_weights=(0.5, 0.0, 0.05, 0.45),
    ),
    "AU": Country(
        code="AU",
        names=("AU", "Australia", "AUS"),
        male=_EN_MALE,
        female=_EN_FEMALE,
        surnames=_EN_SURNAMES,
        surname_parts=_EN_PARTS,
        cities=_cities(
            "Sydney:20:2:98, Melbourne:30:3:98, Brisbane:40:7:3, Perth:60:8:9, "
            "Adelaide:50:8:8, Canberra:26:2:6, Hobart:70:3:8",
            "9",
            8,
        ),
        street_stems=_EN_STREETS,
        street_types=_EN_TYPES,
        layout="en",
        calling_code="61",
        mobile_prefixes=("40", "41", "42", "43"),
        mobile_len=9,
        domains=("gmail.com", "bigpond.com", "outlook.com", "hotmail.com", "optusnet.com.au"),
        legal_forms=_variants("Pty Ltd|Pty. Ltd.|Proprietary Limited|PTY LTD; Ltd|Limited"),
        tld="com.au",
        date_weights=(0.5, 0.05, 0.05, 0.4),
    ),
    "DE": Country(
        code="DE",
        names=("DE", "Germany", "Deutschland", "DEU", "BRD"),
        male=_DE_MALE,
        female=_DE_FEMALE,
        surnames=_DE_SURNAMES,
        surname_parts=_DE_PARTS,
        cities=_cities(
            "Berlin:10|12|13:30:23456789:8, Hamburg:20|22:40:23456789:8, "
            "München:80|81:89:23456789:8, Köln:50|51:221, Frankfurt am Main:60:69:23456789:8, "
            "Stuttgart:70:711, Düsseldorf:40:211, Leipzig:04:341, Dresden:01:351, "
            "Nürnberg:90:911",
            "23456789",
            7,
        ),
        street_stems=_words(
            "Haupt Bahnhof Garten Schul Kirch Dorf Berg Wald Linden Birken Rosen Goethe "
            "Schiller Mozart Friedrich Wilhelm Kaiser Markt Mühlen Feld Wiesen Sonnen Bismarck"
        ),
        street_types=_variants("straße|str.|strasse|Str.; weg; allee; platz|pl.; gasse"),
        layout="de",
        calling_code="49",
        mobile_prefixes=_words("151 152 160 170 171 172 175 176 177 178 179"),
        mobile_len=11,
        domains=("gmail.com", "web.de", "gmx.de", "t-online.de", "outlook.de", "posteo.de"),
        legal_forms=_variants(
            "GmbH|Gmbh|GMBH|Gesellschaft mit beschränkter Haftung; AG|Aktiengesellschaft; "
            "GmbH & Co. KG|GmbH & Co KG"
        ),
        tld="de",
        date_weights=(0.35, 0.0, 0.55, 0.1),
    ),
    "FR": Country(
        code="FR",
        names=("FR", "France", "FRA"),
        male=_FR_MALE,
        female=_FR_FEMALE,
        surnames=_FR_SURNAMES,
        surname_parts=_FR_PARTS,
        cities=_cities(
            "Paris:75:1, Lyon:69:4, Marseille:13:4, Toulouse:31:5, Bordeaux:33:5, Lille:59:3, "
            "Nantes:44:2, Strasbourg:67:3, Nice:06:4, Rennes:35:2",
            "234578",  # 02 6x is Réunion, 05 9x the Antilles
            8,
        ),
        street_stems=_words(
            "de la Paix, Victor Hugo, de la République, Jean Jaurès, du Général de Gaulle, "
            "Pasteur, de la Gare, des Lilas, du Moulin, de l'Église, Gambetta, Voltaire, "
            "des Écoles, du Château, Saint-Michel, de Verdun, Foch, Émile Zola",
            ",",
        ),
        street_types=_variants(
            "rue|r.|Rue; avenue|av.|Avenue; boulevard|bd|Bd; place|pl.; impasse|imp.; allée|allee"
        ),
        layout="fr",
        calling_code="33",
        mobile_prefixes=_words("60 61 62 64 65 66 67 68 73 74 75 76 77 78"),
        mobile_len=9,
        domains=("gmail.com", "orange.fr", "free.fr", "laposte.net", "sfr.fr", "wanadoo.fr"),
        legal_forms=_variants("SARL|S.A.R.L.|Sarl; SAS|S.A.S.|Sas; SA|S.A."),
        tld="fr",
        date_weights=(0.35, 0.0, 0.5, 0.15),
    ),
    "ES": Country(
        code="ES",
        names=("ES", "Spain", "España", "ESP", "Espana"),
        male=_ES_MALE,
        female=_ES_FEMALE,
        surnames=_ES_SURNAMES,
        surname_parts=((), ()),
        cities=_cities(
            "Madrid:28:91:2345678, Barcelona:08:93:2345678, Valencia:46:96, Sevilla:41:95, "
            "Zaragoza:50:976:2345:6, Málaga:29:95, Bilbao:48:94:4",
            "2345",
            7,
        ),
        street_stems=_words(
            "Mayor, Real, de la Constitución, del Sol, de Alcalá, Gran Vía, de Cervantes, "
            "de la Paz, San Juan, Nueva, del Carmen, de Goya, de Colón, Santa María, "
            "de la Iglesia, del Mar, de Andalucía, de la Princesa",
            ",",
        ),
        street_types=_variants("Calle|C/|c/|Cl.; Avenida|Av.|Avda.; Plaza|Pl.|Pza.; Paseo|Pº|Po."),
        layout="es",
        calling_code="34",
        mobile_prefixes=("6",),
        mobile_len=9,
        domains=("gmail.com", "hotmail.es", "yahoo.es", "telefonica.net", "outlook.es"),
        legal_forms=_variants("S.L.|SL|S.L|Sociedad Limitada; S.A.|SA|Sociedad Anónima"),
        tld="es",
        date_weights=(0.35, 0.0, 0.45, 0.2),
    ),
    "NL": Country(
        code="NL",
        names=("NL", "Netherlands", "Nederland", "Holland", "The Netherlands"),
        male=_NL_MALE,
        female=_NL_FEMALE,
        surnames=_NL_SURNAMES,
        surname_parts=_NL_PARTS,
        cities=_cities(
            "Amsterdam:10:20, Rotterdam:30:10, Den Haag:25:70, Utrecht:35:30, Eindhoven:56:40, "
            "Groningen:97:50, Tilburg:50:13, Haarlem:20:23",
            "2345678",
            7,
        ),
        street_stems=_words(
            "Kerk Dorp School Molen Stations Prinsen Keizers Heren Linden Beuken Eiken "
            "Wilhelmina Juliana Beatrix Oranje Nieuwe Hoofd Markt"
        ),
        street_types=_variants("straat|str.; weg; laan|ln.; plein; gracht"),
        layout="nl",
        calling_code="31",
        mobile_prefixes=_words("61 62 63 64 65"),
        mobile_len=9,
        domains=("gmail.com", "ziggo.nl", "kpnmail.nl", "hotmail.com", "outlook.com", "xs4all.nl"),
        legal_forms=_variants("B.V.|BV|B.V|Besloten Vennootschap; N.V.|NV"),
        tld="nl",
        date_weights=(0.4, 0.0, 0.45, 0.15),
    ),
}

COUNTRY_CODES: tuple[str, ...] = ("US", "GB", "DE", "FR", "ES", "NL", "CA", "AU")
COUNTRY_WEIGHTS = np.array([0.32, 0.16, 0.13, 0.1, 0.08, 0.07, 0.08, 0.06])

_COMPANY_A = _words(
    "Acme Northwind Summit Pioneer Evergreen Granite Horizon Lighthouse Riverside Sterling "
    "Keystone Redwood Crescent Atlas Orion Nova Vertex Quantum Apex Beacon Cobalt Falcon "
    "Juniper Meridian Nimbus Oakridge Pinnacle Rosewood Sapphire Trident Vanguard Willow "
    "Zenith Alpen Rhein Loire Ebro Schelde Wattle Thames Hudson Fraser Yarra Baltic Nordic "
    "Solaris Halcyon Bluebird Copperfield Ironwood Brightwater Stonebridge Greenfield Westbrook"
)
_COMPANY_B = _words(
    "Widgets Logistics Consulting Systems Solutions Software Foods Engineering Partners "
    "Holdings Media Analytics Energy Health Pharma Robotics Capital Insurance Services "
    "Industries Labs Networks Design Textiles Motors Retail Trading Ventures Manufacturing "
    "Interiors Security Telecom Travel Outfitters Supply Dynamics Biotech Packaging Realty"
)
_COMPANY_C = ("", "", "", "", "Group", "International", "& Co", "Global", "Europe", "Digital")

_SOURCES = ("web_form", "import", "support", "sales", "event", "newsletter", "partner_api")
_SOURCE_WEIGHTS = np.array([0.3, 0.2, 0.15, 0.15, 0.08, 0.07, 0.05])
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


# ------------------------------------------------------------------------------ helpers


@functools.cache
def _cum_zipf(n: int, s: float = 0.5) -> list[float]:
    """Cumulative Zipf weights: a few very common names, a long tail (like real name lists)."""
    return [float(x) for x in np.cumsum(1.0 / np.arange(1, n + 1) ** s)]


class _Rand(random.Random):
    """``random.Random`` with cheaper ``randrange``/``choice`` and a cumulative-weight ``pick``.

    The stdlib versions reject float bias with rejection sampling and argument checks, which
    dominate a per-record loop; ``int(random() * n)`` is exact enough for n far below 2**53.
    """

    def randrange(self, start: int, stop: int | None = None, step: int = 1) -> int:
        if step != 1:
            return super().randrange(start, stop, step)
        if stop is None:
            return int(self.random() * start)
        return start + int(self.random() * (stop - start))

    def choice(self, seq: SupportsLenAndGetItem[_T]) -> _T:
        return seq[int(self.random() * len(seq))]

    def pick(self, seq: Sequence[_T], cum: Sequence[float]) -> _T:
        """Weighted choice; ``cum`` are cumulative weights (as for ``random.choices``)."""
        return seq[bisect.bisect(cum, self.random() * cum[-1])]


@functools.cache
def _fold(text: str) -> str:
    """Drop accents (José → Jose); German umlauts sometimes become ae/oe/ue instead."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _umlaut_expand(text: str) -> str:
    for a, b in (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("Ä", "Ae"), ("Ö", "Oe"), ("Ü", "Ue")):
        text = text.replace(a, b)
    return text.replace("ß", "ss")


@functools.cache
def _slug(text: str) -> str:
    return "".join(c for c in _fold(text).lower() if c.isalnum())


def _typo(text: str, r: _Rand) -> str:
    """One keyboard-style edit: insert, delete, transpose or substitute a neighbouring key."""
    if len(text) < 3:
        return text
    op = r.random()
    i = r.randrange(1, len(text) - 1)  # keep the first letter: most typos are not at position 0
    c = text[i].lower()
    if op < 0.3:
        near = _KEYBOARD.get(c, _ABC)
        sub = r.choice(near)
        return text[:i] + (sub.upper() if text[i].isupper() else sub) + text[i + 1 :]
    if op < 0.55:
        return text[:i] + text[i + 1 :]
    if op < 0.8:
        if text[i] == text[i + 1]:
            return text[:i] + text[i + 1 :]
        return text[:i] + text[i + 1] + text[i] + text[i + 2 :]
    return text[:i] + r.choice(_KEYBOARD.get(c, _ABC)) + text[i:]


# ------------------------------------------------------------------------------ entities


@dataclass
class _Company:
    name: str  # without legal form
    form: int  # index into country.legal_forms
    country: str
    domain: str
    street: tuple[int, int, str]  # stem, type, house number
    city: int
    postcode: str
    phone: tuple[str, str]  # area, subscriber (switchboard)


@dataclass
class _Entity:
    kind: str  # "person" or "org"
    country: str
    first: str
    last: str
    dob: tuple[int, int, int] | None
    street: tuple[int, int, str]
    city: int
    postcode: str
    phone: tuple[str, str] | None
    alt_phone: tuple[str, str]
    email: str | None
    alt_email: str
    company: int  # -1: none
    group: str = ""  # "household" "namesake" "colleague" or ""


class _Chunk:
    """Entities of one chunk and the randomness to build their records."""

    def __init__(self, rng: np.random.Generator, n_entities: int, used_emails: bytearray):
        self.rng = rng
        self.r = _Rand(int(rng.integers(2**62)))
        self.used_emails = used_emails
        self.companies: list[_Company] = []
        self.entities: list[_Entity] = []
        self._build(n_entities)

    # -- primitives -------------------------------------------------------------------
    def _postcode(self, c: Country, city: City) -> str:
        r = self.r
        code = c.code
        prefix = r.choice(city.postcode.split("|"))
        if code == "US":
            return prefix + f"{r.randrange(100):02d}"
        if code in ("DE", "FR", "ES"):
            return prefix + f"{r.randrange(1000):03d}"
        if code == "AU":
            return prefix + f"{r.randrange(100):02d}"
        if code == "NL":
            return (
                prefix
                + f"{r.randrange(100):02d} "
                + r.choice("ABCEGHJKLMNPRTVWXZ")
                + r.choice("ABCEGHJKLMNPRTVWXZ")
            )
        if code == "GB":
            letters = "ABDEFGHJLNPQRSTUWXYZ"
            return f"{prefix} {r.randrange(10)}{r.choice(letters)}{r.choice(letters)}"
        # CA
        letters = "ABCEGHJKLMNPRSTVWXYZ"
        return f"{prefix} {r.randrange(10)}{r.choice(letters)}{r.randrange(10)}"

    def _landline(self, c: Country, city: City) -> tuple[str, str]:
        r = self.r
        if c.calling_code == "1":
            while True:
                exchange = f"{r.randrange(2, 10)}{r.randrange(10)}{r.randrange(10)}"
                if exchange[1:] != "11" and exchange not in ("555", "950", "976"):
                    break
            return city.area, exchange + f"{r.randrange(10_000):04d}"
        rest = city.sub_len - 1
        return city.area, r.choice(city.sub_first) + f"{r.randrange(10**rest):0{rest}d}"

    def _mobile(self, c: Country, city: City) -> tuple[str, str]:
        if not c.mobile_prefixes:  # NANP: mobiles look like landlines
            return self._landline(c, city)
        r = self.r
        prefix = r.choice(c.mobile_prefixes)
        rest = c.mobile_len - len(prefix)
        digits = prefix + f"{r.randrange(10**rest):0{rest}d}"
        # "area" for formatting: the part written before the first space nationally
        split = {"GB": 4, "DE": 3, "FR": 1, "ES": 3, "NL": 1, "AU": 3}[c.code]
        return digits[:split], digits[split:]

    def _email(self, first: str, last: str, domain: str, style: float, year: int) -> str:
        r = self.r
        f, l_ = _slug(first), _slug(last)
        if style < 0.3:
            local = f"{f}.{l_}"
        elif style < 0.45:
            local = f"{f}{l_}"
        elif style < 0.6:
            local = f"{f[:1]}.{l_}"
        elif style < 0.7:
            local = f"{f}_{l_}"
        elif style < 0.85:
            local = f"{f}.{l_}{r.randrange(1, 99)}"
        else:
            local = f"{f}{year}" if r.random() < 0.5 else f"{f}{year % 100:02d}"
        email = f"{local}@{domain}"
        # Different people never share an address: check a 2^27-bit filter (a false positive
        # only adds digits to an address).
        while True:
            h = zlib.crc32(email.encode()) & 0x7FF_FFFF
            if not self.used_emails[h >> 3] & (1 << (h & 7)):
                self.used_emails[h >> 3] |= 1 << (h & 7)
                return email
            local = f"{local}{r.randrange(10)}"
            email = f"{local}@{domain}"

    def _personal_domain(self, c: Country) -> str:
        # The first (most common) provider is three times as likely as each other one.
        return self.r.pick(c.domains, _cum_domain(len(c.domains)))

    # -- build ------------------------------------------------------------------------
    def _build(self, n: int) -> None:
        rng = self.rng
        country_idx = rng.choice(len(COUNTRY_CODES), size=n, p=COUNTRY_WEIGHTS)
        female = rng.random(n) < 0.5
        dob_days = rng.integers(
            int(np.datetime64("1940-01-01").astype(int)),
            int(np.datetime64("2006-12-31").astype(int)),
            size=n,
        )
        dob_str = dob_days.astype("datetime64[D]").astype(str).tolist()
        kind_u = rng.random(n)

        self._build_companies(max(4, n // 30))
        companies_by_country: dict[str, list[int]] = {}
        for i, comp in enumerate(self.companies):
            companies_by_country.setdefault(comp.country, []).append(i)
        unclaimed_by_country = {k: list(v) for k, v in companies_by_country.items()}

        for i in range(n):
            code = COUNTRY_CODES[int(country_idx[i])]
            c = COUNTRIES[code]
            unclaimed = unclaimed_by_country.get(code)
            if kind_u[i] < 0.04 and unclaimed:
                # One organisation entity per company: two would be the same real company.
                self.entities.append(self._org_entity(c, unclaimed.pop()))
                continue
            first = self._pick_first(c, bool(female[i]))
            last = self._pick_surname(c)
            y, m, d = (int(x) for x in dob_str[i].split("-"))
            self.entities.append(self._person(c, first, last, (y, m, d)))

        self._make_households()
        self._make_namesakes()
        self._make_colleagues(companies_by_country)
        # E-mails last: names may have changed (namesakes copy names).
        for e in self.entities:
            self._assign_emails(e)

    def _pick_first(self, c: Country, is_female: bool) -> str:
        pool = c.female if is_female else c.male
        return self.r.pick(pool, _cum_zipf(len(pool)))

    def _pick_surname(self, c: Country) -> str:
        r = self.r
        pre, suf = c.surname_parts
        if pre and r.random() < 0.55:
            # Compound surnames widen the pool so that accidental namesakes stay realistic.
            if c.code == "NL":
                return f"{r.choice(pre)} {r.choice(suf)}"
            return r.choice(pre) + r.choice(suf)
        pool = c.surnames
        last = r.pick(pool, _cum_zipf(len(pool)))
        if c.code == "ES" and r.random() < 0.6:
            last = f"{last} {r.choice(pool)}"  # two surnames, the second often dropped later
        return last

    def _address(self, c: Country) -> tuple[tuple[int, int, str], int, str]:
        r = self.r
        city_i = r.randrange(len(c.cities))
        number = str(r.randrange(1, 200) if c.code != "US" else r.randrange(1, 9900))
        if r.random() < 0.05:
            number += r.choice("abAB")
        street = (r.randrange(len(c.street_stems)), r.randrange(len(c.street_types)), number)
        return street, city_i, self._postcode(c, c.cities[city_i])

    def _person(self, c: Country, first: str, last: str, dob: tuple[int, int, int]) -> _Entity:
        r = self.r
        street, city_i, postcode = self._address(c)
        city = c.cities[city_i]
        mobile = self._mobile(c, city)
        land = self._landline(c, city)
        phone = mobile if r.random() < 0.6 else land
        alt = land if phone is mobile else mobile
        return _Entity(
            "person", c.code, first, last, dob, street, city_i, postcode, phone, alt, None, "", -1
        )

    def _org_entity(self, c: Country, comp_i: int) -> _Entity:
        comp = self.companies[comp_i]
        local = self.r.choice(("info", "contact", "sales", "office", "hello"))
        return _Entity(
            "org", c.code, "", "", None, comp.street, comp.city, comp.postcode, comp.phone,
            comp.phone, f"{local}@{comp.domain}", f"{local}@{comp.domain}", comp_i,
        )  # fmt: skip

    def _build_companies(self, k: int) -> None:
        r = self.r
        for _ in range(k):
            code = COUNTRY_CODES[int(self.rng.choice(len(COUNTRY_CODES), p=COUNTRY_WEIGHTS))]
            c = COUNTRIES[code]
            name = f"{r.choice(_COMPANY_A)} {r.choice(_COMPANY_B)}"
            extra = r.choice(_COMPANY_C)
            if extra:
                name = f"{name} {extra}"
            street, city_i, postcode = self._address(c)
            domain = f"{_slug(name.replace('& Co', ''))}.{c.tld}"
            form = r.randrange(len(c.legal_forms))
            phone = self._landline(c, c.cities[city_i])
            self.companies.append(
                _Company(name, form, code, domain, street, city_i, postcode, phone)
            )

    def _make_households(self) -> None:
        r = self.r
        persons = [e for e in self.entities if e.kind == "person"]
        n_groups = len(persons) // 40
        for _ in range(n_groups):
            head = r.choice(persons)
            if head.group:
                continue
            c = COUNTRIES[head.country]
            size = r.choice((2, 2, 2, 3, 3, 4))
            head.group = "household"
            if head.phone is not None and head.phone[0] == c.cities[head.city].area:
                pass  # already the landline
            else:
                head.alt_phone = head.phone or head.alt_phone
                head.phone = self._landline(c, c.cities[head.city])
            firsts = {head.first}
            assert head.dob is not None
            for j in range(size - 1):
                member = r.choice(persons)
                if member.group or member.country != head.country or member is head:
                    continue
                first = member.first
                tries = 0
                while first in firsts and tries < 10:
                    first = self._pick_first(c, r.random() < 0.5)
                    tries += 1
                if first in firsts:
                    continue
                firsts.add(first)
                y, m, d = head.dob
                if j == 0 and r.random() < 0.7:
                    y = y + r.randrange(-6, 7)  # partner
                else:
                    y = y + r.randrange(22, 36)  # adult child
                y = min(y, 2006)
                dob = (y, r.randrange(1, 13), r.randrange(1, 29))
                if dob == head.dob:
                    dob = (y, m, 28 if d != 28 else 27)
                member.first, member.last, member.dob = first, head.last, dob
                member.street, member.city, member.postcode = head.street, head.city, head.postcode
                member.alt_phone = member.phone or member.alt_phone  # own mobile
                member.phone = head.phone
                member.group = "household"

    def _make_namesakes(self) -> None:
        r = self.r
        persons = [e for e in self.entities if e.kind == "person" and not e.group]
        for _ in range(len(persons) // 60):
            a, b = r.choice(persons), r.choice(persons)
            if a is b or a.group or b.group or a.country != b.country:
                continue
            b.first, b.last = a.first, a.last
            a.group = b.group = "namesake"
            if b.city == a.city:
                c = COUNTRIES[b.country]
                b.street, b.city, b.postcode = self._address(c)

    def _make_colleagues(self, by_country: dict[str, list[int]]) -> None:
        r = self.r
        for e in self.entities:
            if e.kind != "person" or r.random() > 0.55 or not by_country.get(e.country):
                continue
            e.company = r.choice(by_country[e.country])
        # Some companies get a cluster of colleagues sharing the switchboard and office address.
        persons = [e for e in self.entities if e.kind == "person" and not e.group]
        for _ in range(len(persons) // 35):
            anchor = r.choice(persons)
            if anchor.group or anchor.company < 0:
                continue
            comp = self.companies[anchor.company]
            candidates = [
                p
                for p in r.sample(persons, min(len(persons), 12))
                if not p.group and p.country == anchor.country and p is not anchor
            ]
            mates = [anchor, *candidates[: r.randrange(1, 6)]]
            for p in mates:
                p.company = anchor.company
                p.group = "colleague"
                if r.random() < 0.75:
                    p.alt_phone = p.phone or p.alt_phone
                    p.phone = comp.phone
                if r.random() < 0.6:
                    p.street, p.city, p.postcode = comp.street, comp.city, comp.postcode

    def _assign_emails(self, e: _Entity) -> None:
        if e.kind == "org":
            return
        r = self.r
        c = COUNTRIES[e.country]
        first = e.first.split()[0].split("-")[0]
        last = e.last.split()[-1] if c.code == "NL" else e.last.split()[0]
        year = e.dob[0] if e.dob else r.randrange(1950, 2006)
        personal = self._email(first, last, self._personal_domain(c), r.random(), year)
        if e.company >= 0:
            domain = self.companies[e.company].domain
            work = self._email(first, last, domain, r.random() * 0.7, year)
            e.email, e.alt_email = (work, personal) if e.group == "colleague" else (personal, work)
        else:
            e.email = personal
            e.alt_email = self._email(first, last, self._personal_domain(c), r.random(), year)


# ------------------------------------------------------------------------------ records


def _format_phone(code: str, area: str, sub: str, style: int) -> str:
    """A phone as people type it in ``code``'s conventions; ``style`` picks the variant."""
    if code in ("US", "CA"):
        a, b, c = area, sub[:3], sub[3:]
        return (
            f"({a}) {b}-{c}", f"{a}-{b}-{c}", f"{a}.{b}.{c}", f"1-{a}-{b}-{c}",
            f"+1 {a} {b} {c}", f"+1 ({a}) {b}-{c}", f"{a}{b}{c}", f"+1{a}{b}{c}",
        )[style % 8]  # fmt: skip
    cc = COUNTRIES[code].calling_code
    nsn = area + sub
    if code == "GB":
        if area.startswith("7"):
            grouped = f"{area} {sub}"
        elif len(area) == 2:
            grouped = f"{area} {sub[:4]} {sub[4:]}"
        else:
            grouped = f"{area} {sub[:3]} {sub[3:]}"
    elif code == "FR":
        grouped = area + " " + " ".join(sub[i : i + 2] for i in range(0, len(sub), 2))
    elif code == "ES" or (code == "AU" and area.startswith("4")):
        grouped = f"{nsn[:3]} {nsn[3:6]} {nsn[6:]}"
    elif code == "AU":
        grouped = f"{area} {sub[:4]} {sub[4:]}"
    else:  # DE, NL
        grouped = f"{area} {sub}"
    national = grouped if code == "ES" else "0" + grouped
    variants = (
        national,
        f"+{cc} {grouped}",
        f"+{cc} (0){grouped}" if code != "ES" else f"+{cc} {nsn}",
        national.replace(" ", ""),
        f"00{cc} {grouped}",
        f"+{cc}{nsn}",
        ("0" + area + "/" + sub) if code == "DE" else ("0" + area + "-" + sub) if code == "NL"
        else (f"(0{area}) {sub[:4]} {sub[4:]}" if code == "AU" and not area.startswith("4")
              else national.replace(" ", ".") if code == "FR" else national),
        national,
    )  # fmt: skip
    return variants[style % 8]


def _format_date(y: int, m: int, d: int, style: int) -> str:
    if style == 0:
        return f"{y:04d}-{m:02d}-{d:02d}"
    if style == 1:
        return f"{m:02d}/{d:02d}/{y:04d}" if d % 2 else f"{m}/{d}/{y:04d}"
    if style == 2:
        return f"{d:02d}.{m:02d}.{y:04d}"
    return f"{d} {_MONTHS[m - 1]} {y:04d}"


def _street_text(c: Country, street: tuple[int, int, str], variant: int) -> str:
    stem_i, type_i, number = street
    stem = c.street_stems[stem_i]
    types = c.street_types[type_i]
    kind = types[variant % len(types)]
    if c.layout == "en":
        return f"{number} {stem} {kind}"
    if c.layout in ("de", "nl"):
        sep = " " if kind[:1].isupper() else ""
        return f"{stem}{sep}{kind} {number}"
    if c.layout == "fr":
        return f"{number} {kind} {stem}" if variant % 3 else f"{number}, {kind} {stem}"
    return f"{kind} {stem}, {number}" if variant % 2 else f"{kind} {stem} {number}"  # es


def _company_text(comp: _Company, variant: int, r: _Rand) -> str:
    c = COUNTRIES[comp.country]
    forms = c.legal_forms[comp.form]
    if variant == 0:
        form = forms[0]
    elif variant == 1:
        form = r.choice(forms)
    else:
        form = "" if r.random() < 0.4 else r.choice(forms)
    if not form:
        text = comp.name
    elif form.startswith(","):
        text = comp.name + form
    else:
        text = f"{comp.name} {form}"
    if variant >= 2:
        u = r.random()
        if u < 0.3:
            text = text.upper()
        elif u < 0.4:
            text = text.lower()
        elif u < 0.5:
            text = "The " + text
        elif u < 0.6:
            text = text.replace(" & ", " and ")
    return text


_Corruption = Callable[[list[str], _Entity, _Rand], None]
F_FIRST, F_LAST, F_EMAIL, F_PHONE, F_COMPANY, F_STREET, F_CITY, F_POSTCODE = 1, 2, 3, 4, 5, 6, 7, 8
F_COUNTRY, F_DOB = 9, 10


def _c_case(row: list[str], e: _Entity, r: _Rand) -> None:
    u = r.random()
    for f in (F_FIRST, F_LAST):
        row[f] = row[f].upper() if u < 0.5 else row[f].lower() if u < 0.8 else row[f].title()


def _c_nickname(row: list[str], e: _Entity, r: _Rand) -> None:
    nicks = _NICKNAMES.get(e.first)
    if nicks:
        row[F_FIRST] = r.choice(nicks)


def _c_typo_first(row: list[str], e: _Entity, r: _Rand) -> None:
    row[F_FIRST] = _typo(row[F_FIRST], r)


def _c_typo_last(row: list[str], e: _Entity, r: _Rand) -> None:
    row[F_LAST] = _typo(row[F_LAST], r)


def _c_swap(row: list[str], e: _Entity, r: _Rand) -> None:
    # (Corruptions see values that earlier corruptions of the same record may have blanked.)
    row[F_FIRST], row[F_LAST] = row[F_LAST], row[F_FIRST]


def _c_last_first(row: list[str], e: _Entity, r: _Rand) -> None:
    if not (row[F_FIRST] and row[F_LAST]):
        return
    full = f"{row[F_LAST]}, {row[F_FIRST]}"
    if r.random() < 0.5:
        row[F_FIRST], row[F_LAST] = full, ""
    else:
        row[F_FIRST], row[F_LAST] = "", full


def _c_honorific(row: list[str], e: _Entity, r: _Rand) -> None:
    if not row[F_FIRST]:
        return
    titles = _HONORIFICS_BY_COUNTRY.get(e.country, _HONORIFICS)
    row[F_FIRST] = f"{r.choice(titles)} {row[F_FIRST]}".strip()


def _c_accents(row: list[str], e: _Entity, r: _Rand) -> None:
    fix = _umlaut_expand if e.country == "DE" and r.random() < 0.5 else _fold
    for f in (F_FIRST, F_LAST, F_STREET, F_CITY):
        row[f] = fix(row[f])


def _c_email_case(row: list[str], e: _Entity, r: _Rand) -> None:
    if "@" not in row[F_EMAIL]:
        return
    local, _, domain = row[F_EMAIL].partition("@")
    if r.random() < 0.5:
        row[F_EMAIL] = row[F_EMAIL].upper()
    else:
        row[F_EMAIL] = f"{'.'.join(p.title() for p in local.split('.'))}@{domain.title()}"


def _c_gmail(row: list[str], e: _Entity, r: _Rand) -> None:
    if "@" not in row[F_EMAIL]:
        return
    local, _, domain = row[F_EMAIL].partition("@")
    if domain != "gmail.com":
        return
    u = r.random()
    if u < 0.4:
        local = local.replace(".", "") if "." in local else local[:2] + "." + local[2:]
    elif u < 0.7:
        local = f"{local}+{r.choice(('crm', 'news', 'shop', 'work'))}"
    elif u < 0.85:
        domain = "googlemail.com"
    else:
        i = r.randrange(1, max(2, len(local)))
        local = local[:i] + "." + local[i:]
    row[F_EMAIL] = f"{local}@{domain}"


def _c_email_typo(row: list[str], e: _Entity, r: _Rand) -> None:
    if "@" not in row[F_EMAIL]:
        return
    local, _, domain = row[F_EMAIL].partition("@")
    row[F_EMAIL] = f"{_typo(local, r)}@{domain}"


def _c_email_other(row: list[str], e: _Entity, r: _Rand) -> None:
    if not e.alt_email:
        return
    row[F_EMAIL] = e.alt_email


def _c_phone_other(row: list[str], e: _Entity, r: _Rand) -> None:
    row[F_PHONE] = _format_phone(e.country, *e.alt_phone, r.randrange(8))


def _c_city(row: list[str], e: _Entity, r: _Rand) -> None:
    u = r.random()
    row[F_CITY] = _typo(row[F_CITY], r) if u < 0.5 else row[F_CITY].upper()


def _c_postcode(row: list[str], e: _Entity, r: _Rand) -> None:
    pc = row[F_POSTCODE]
    if pc.startswith("0") and pc.isdigit():
        row[F_POSTCODE] = pc.lstrip("0")  # a spreadsheet took it for a number
    elif " " in pc:
        row[F_POSTCODE] = pc.replace(" ", "") if r.random() < 0.6 else pc.lower()
    else:
        row[F_POSTCODE] = _typo(pc, r) if len(pc) > 3 else pc


def _c_dob_swap(row: list[str], e: _Entity, r: _Rand) -> None:
    if not row[F_DOB]:
        return
    if e.dob is not None and e.dob[2] <= 12 and e.dob[2] != e.dob[1]:
        y, m, d = e.dob
        row[F_DOB] = _format_date(y, d, m, 0 if r.random() < 0.5 else 2)


def _c_dob_typo(row: list[str], e: _Entity, r: _Rand) -> None:
    if not row[F_DOB]:
        return
    if e.dob is not None:
        y, m, d = e.dob
        y = y + r.choice((-10, -1, 1, 10))
        row[F_DOB] = _format_date(y, m, d, r.randrange(4))


def _c_second_surname(row: list[str], e: _Entity, r: _Rand) -> None:
    if " " in row[F_LAST] and e.country == "ES":
        row[F_LAST] = row[F_LAST].split()[0]


def _c_moved(row: list[str], e: _Entity, r: _Rand) -> None:
    c = COUNTRIES[e.country]
    city = c.cities[r.randrange(len(c.cities))]
    stem, typ = r.randrange(len(c.street_stems)), r.randrange(len(c.street_types))
    row[F_STREET] = _street_text(c, (stem, typ, str(r.randrange(1, 150))), 0)
    row[F_CITY] = city.name
    row[F_POSTCODE] = ""


def _c_missing(row: list[str], e: _Entity, r: _Rand) -> None:
    for f in r.sample((F_EMAIL, F_PHONE, F_STREET, F_CITY, F_POSTCODE, F_DOB, F_COUNTRY, F_FIRST),
                      r.randrange(1, 4)):  # fmt: skip
        row[f] = ""


_PERSON_CORRUPTIONS: tuple[tuple[_Corruption, float], ...] = (
    (_c_case, 1.0), (_c_nickname, 1.2), (_c_typo_first, 0.8), (_c_typo_last, 1.0),
    (_c_swap, 0.25), (_c_last_first, 0.3), (_c_honorific, 0.4), (_c_accents, 0.8),
    (_c_email_case, 0.5), (_c_gmail, 0.7), (_c_email_typo, 0.3), (_c_email_other, 0.5),
    (_c_phone_other, 0.35), (_c_city, 0.3), (_c_postcode, 0.4), (_c_dob_swap, 0.2),
    (_c_dob_typo, 0.15), (_c_second_surname, 0.6), (_c_moved, 0.15), (_c_missing, 1.2),
)  # fmt: skip
_ORG_CORRUPTIONS: tuple[tuple[_Corruption, float], ...] = (
    (_c_email_case, 0.3), (_c_city, 0.3), (_c_postcode, 0.4), (_c_missing, 1.0),
    (_c_accents, 0.3),
)  # fmt: skip


def _records(chunk: _Chunk, counts: np.ndarray) -> list[tuple[list[str], int]]:
    """Rows (without record_id) with the entity position they belong to."""
    r = chunk.r
    rng = chunk.rng
    n_rec = int(counts.sum())
    ages = np.minimum(rng.exponential(420.0, size=n_rec), 3650.0)
    seconds = (ages * 86400).astype(np.int64)
    updated = (
        (REFERENCE_DAY.astype("datetime64[s]") - seconds.astype("timedelta64[s]"))
        .astype(str)
        .tolist()
    )
    sources = rng.choice(len(_SOURCES), size=n_rec, p=_SOURCE_WEIGHTS).tolist()
    out: list[tuple[list[str], int]] = []
    k = 0
    p_funcs = [f for f, _ in _PERSON_CORRUPTIONS]
    p_weights = list(itertools.accumulate(w for _, w in _PERSON_CORRUPTIONS))
    o_funcs = [f for f, _ in _ORG_CORRUPTIONS]
    o_weights = list(itertools.accumulate(w for _, w in _ORG_CORRUPTIONS))
    for ei, e in enumerate(chunk.entities):
        c = COUNTRIES[e.country]
        comp = chunk.companies[e.company] if e.company >= 0 else None
        for j in range(int(counts[ei])):
            dup = j > 0
            row = [
                "",
                e.first,
                e.last,
                e.email or "",
                "" if e.phone is None else _format_phone(e.country, *e.phone, r.randrange(8)),
                "" if comp is None else _company_text(comp, 0 if not dup else r.randrange(4), r),
                _street_text(c, e.street, 0 if r.random() < 0.8 else r.randrange(1, 6)),
                c.cities[e.city].name,
                e.postcode,
                c.names[0] if r.random() < 0.7 else r.choice(c.names),
                "",
                updated[k],
                _SOURCES[sources[k]],
            ]
            if e.dob is not None:
                row[F_DOB] = _format_date(*e.dob, _date_style(c, r))
            if dup:
                person = e.kind == "person"
                funcs, weights = (p_funcs, p_weights) if person else (o_funcs, o_weights)
                n_corr = 1 + (r.random() < 0.5) + (r.random() < 0.2)
                for _ in range(n_corr):
                    func = r.pick(funcs, weights)
                    func(row, e, r)
            elif e.kind == "person" and r.random() < 0.05:
                _c_case(row, e, r)  # some originals are typed in caps too
            out.append((row, ei))
            k += 1
    # Baseline missingness, for originals and duplicates alike (drawn in bulk: it is the
    # single largest number of random decisions).
    fields = [f for f, _ in _MISSING]
    blank = rng.random((n_rec, len(fields))) < np.array([p for _, p in _MISSING])
    for rec, fi in zip(*np.nonzero(blank), strict=True):
        out[rec][0][fields[fi]] = ""
    return out


_MISSING = ((F_EMAIL, 0.1), (F_PHONE, 0.15), (F_STREET, 0.1), (F_CITY, 0.05), (F_POSTCODE, 0.08),
            (F_COUNTRY, 0.08), (F_DOB, 0.35), (F_COMPANY, 0.1))  # fmt: skip


def _date_style(c: Country, r: _Rand) -> int:
    return r.pick((0, 1, 2, 3), _cum_tuple(c.date_weights))


@functools.cache
def _cum_tuple(weights: tuple[float, ...]) -> tuple[float, ...]:
    return tuple(itertools.accumulate(weights))


@functools.cache
def _cum_domain(n: int) -> tuple[float, ...]:
    return _cum_tuple((3.0,) + (1.0,) * (n - 1))


# ------------------------------------------------------------------------------ public API


def iter_chunks(
    n: int, seed: int, *, dup_share: float = 0.3
) -> Iterator[tuple[list[list[str]], list[str]]]:
    """Yield ``(rows, entity_ids)`` chunks that together hold exactly ``n`` records.

    ``rows`` follow :data:`HEADER`; ``entity_ids[i]`` is the true entity of ``rows[i]``.
    ``dup_share`` of the entities get 1–4 extra records.
    """
    if n < 0:
        raise ValueError("n must be >= 0")
    if not 0.0 <= dup_share <= 1.0:
        raise ValueError("dup_share must be within [0, 1]")
    rng = np.random.default_rng(seed)
    used_emails = bytearray(1 << 24)  # 2^27 bits
    width = max(7, len(str(n)))
    produced = 0
    next_entity = 0
    while produced < n:
        # Sized from the expected records per entity; the last chunk is cut to give exactly n.
        per_entity = 1.0 + dup_share * 2.5
        n_ent = min(CHUNK_ENTITIES, int((n - produced) / per_entity) + 8)
        counts = 1 + (rng.random(n_ent) < dup_share) * rng.integers(1, 5, size=n_ent)
        total = int(counts.sum())
        if produced + total > n:
            cum = np.cumsum(counts)
            last = int(np.searchsorted(cum, n - produced))  # the entity that reaches n
            counts = counts[: last + 1].copy()
            counts[-1] -= int(cum[last]) - (n - produced)
            n_ent = len(counts)
        chunk = _Chunk(rng, n_ent, used_emails)
        records = _records(chunk, counts)
        order = rng.permutation(len(records))
        rows: list[list[str]] = []
        entity_ids: list[str] = []
        for pos in order.tolist():
            row, ei = records[pos]
            produced += 1
            row[0] = f"C{produced:0{width}d}"
            rows.append(row)
            entity_ids.append(f"E{next_entity + ei:0{width}d}")
        next_entity += n_ent
        yield rows, entity_ids


def generate(
    n: int, seed: int, *, dup_share: float = 0.3
) -> tuple[tuple[str, ...], list[list[str]], list[tuple[str, str]]]:
    """``(header, rows, truth)`` in memory; ``truth`` holds ``(record_id, entity_id)`` pairs."""
    rows: list[list[str]] = []
    truth: list[tuple[str, str]] = []
    for chunk_rows, entity_ids in iter_chunks(n, seed, dup_share=dup_share):
        rows.extend(chunk_rows)
        truth.extend((row[0], eid) for row, eid in zip(chunk_rows, entity_ids, strict=True))
    return HEADER, rows, truth


def write(
    n: int,
    seed: int,
    output: str | Path,
    truth: str | Path | None = None,
    *,
    dup_share: float = 0.3,
) -> None:
    """Stream ``n`` records to ``output`` (and the truth to ``truth``) chunk by chunk."""
    import csv

    with open(output, "w", encoding="utf-8", newline="") as out_fh:
        writer = csv.writer(out_fh, lineterminator="\r\n")
        writer.writerow(HEADER)
        truth_fh = open(truth, "w", encoding="utf-8", newline="") if truth else None  # noqa: SIM115
        try:
            truth_writer = csv.writer(truth_fh, lineterminator="\r\n") if truth_fh else None
            if truth_writer:
                truth_writer.writerow(TRUTH_HEADER)
            for rows, entity_ids in iter_chunks(n, seed, dup_share=dup_share):
                # No formula guard needed: no generated value starts with = + - @ TAB or CR
                # except phone numbers, which crmresolve.io.write_csv leaves alone too (tested).
                writer.writerows(rows)
                if truth_writer:
                    truth_writer.writerows(
                        (row[0], eid) for row, eid in zip(rows, entity_ids, strict=True)
                    )
        finally:
            if truth_fh:
                truth_fh.close()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Generate CRM-like contact records with known duplicates."
    )
    parser.add_argument("--n", type=int, default=1000, help="number of records (default 1000)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--dup-share", type=float, default=0.3,
                        help="share of entities with duplicates (default 0.3)")  # fmt: skip
    parser.add_argument("--output", required=True, help="CSV file to write")
    parser.add_argument("--truth", help="CSV file for record_id,entity_id")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    write(args.n, args.seed, args.output, args.truth, dup_share=args.dup_share)
    print(
        f"wrote {args.n} records to {args.output} in {time.perf_counter() - started:.1f} s",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
