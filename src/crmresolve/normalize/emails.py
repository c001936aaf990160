"""E-mail addresses: syntax check, canonical form and CRM quality flags.

Syntax rules are email-validator's (``check_deliverability=False``: no DNS, so results are
deterministic and offline). On top of it:

* Wrappers are removed: surrounding whitespace, ``mailto:`` (and its ``?subject=`` part), angle
  brackets with a display name (``"Bob" <bob@x.com>``), quotes and trailing punctuation, and
  ``[at]`` / ``(at)`` / ``[dot]`` obfuscation.
* The **whole address is lower-cased** (``str.lower``, not ``casefold``, so ``ß`` stays ``ß``).
  Local parts are case-sensitive in theory but no mainstream provider treats them so, and CRM
  copies of one address differ in case all the time.
* Internationalised domains come out in **Unicode form** (email-validator's ``domain``:
  ``bob@xn--mnchen-3ya.de`` → ``bob@münchen.de``); the ASCII form is in
  ``details["ascii_domain"]``.
* ``provider_rules=True`` applies mailbox-provider aliasing: Gmail ignores dots and ``+tags``
  (``googlemail.com`` → ``gmail.com``), Outlook/Hotmail/Live, iCloud, Fastmail, Proton and
  Yandex ignore ``+tags``; obvious domain typos (``gmail.con``) are corrected.
* Several addresses in one cell: the first is used and ``email.multiple`` is reported.

Junk placeholders (``test@test.com``, ``noreply@…``, ``a@a.com``, ``…@example.com``) give
``None`` with ``email.junk``: a shared placeholder would only create false matches. Role
accounts, free-mail and disposable domains keep their value and are flagged. Missing input
(``None``, NaN, blank) gives ``None`` with ``email.empty``, as in every normalizer here.

>>> normalize_email('"Bob Smith" <Bob.Smith@Acme.CO.uk>')
'bob.smith@acme.co.uk'
>>> normalize_email("B.o.b+crm@GoogleMail.com", provider_rules=True)
'bob@gmail.com'
>>> parse_email("info@acme.de").reasons
('email.role_account',)
"""

from __future__ import annotations

import functools
import re
from importlib import resources
from typing import Any

import email_validator
from email_validator import EmailNotValidError, validate_email

from crmresolve.normalize._base import Parsed
from crmresolve.normalize._text import coerce_text

__all__ = ["normalize_email", "parse_email"]

# RFC 5321 caps an address at 254 characters; a display name may add some. Longer input is
# pasted text and is rejected before any regex runs over it.
_MAX_LEN = 512

_INVISIBLE = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")
_ANGLE = re.compile(r"<([^<>]*@[^<>]*)>")
_MAILTO = re.compile(r"^\s*mailto:\s*", re.IGNORECASE)
_QUERY = re.compile(r"\?.*$", re.DOTALL)
_OBFUSCATED_AT = re.compile(r"\s*(?:\[\s*at\s*\]|\(\s*at\s*\)|\{\s*at\s*\})\s*", re.IGNORECASE)
_OBFUSCATED_DOT = re.compile(r"\s*(?:\[\s*dot\s*\]|\(\s*dot\s*\)|\{\s*dot\s*\})\s*", re.IGNORECASE)
_SPACED_AT = re.compile(r"\s*@\s*")
_SEPARATORS = re.compile(r"[\s;,]+")
_EDGE_JUNK = " \t\r\n\"'`()[]{}<>,;:."
_NAME_QUOTES = " \t\"'"
_ROLE_SPLIT = re.compile(r"[._\-]")
_NOREPLY = re.compile(r"^(?:no|do[._\-]?not|dont)[._\-]?reply")
_ROLE_EXACT_ONLY = frozenset({"post", "mail", "email", "care", "personal"})
_REPEATED = re.compile(r"^(.)\1*$", re.DOTALL)

# Fast path for the plain ASCII shape nearly all CRM addresses have. For input it accepts,
# email-validator (no deliverability check) returns the same address unchanged; a differential
# test keeps the two in step. Everything else goes through email-validator.
_ATEXT = r"a-z0-9_!#$%&'*+\-/=?^`{|}~"
_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_FAST = re.compile(
    rf"(?P<local>[{_ATEXT}]+(?:\.[{_ATEXT}]+)*)@(?P<domain>(?:{_LABEL}\.)+{_LABEL})",
)

_GMAIL = frozenset({"gmail.com", "googlemail.com"})
_PLUS_TAG_PROVIDERS = frozenset(
    {
        "outlook.com",
        "hotmail.com",
        "hotmail.co.uk",
        "hotmail.fr",
        "hotmail.de",
        "live.com",
        "msn.com",
        "icloud.com",
        "me.com",
        "mac.com",
        "fastmail.com",
        "fastmail.fm",
        "protonmail.com",
        "protonmail.ch",
        "proton.me",
        "pm.me",
        "yandex.ru",
        "yandex.com",
    }
)


def _lines(name: str) -> list[str]:
    text = (resources.files("crmresolve") / "data" / name).read_text("utf-8")
    out = []
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip().lower()
        if line:
            out.append(line)
    return out


class _Lists:
    """The e-mail data files, read once (immutable afterwards)."""

    def __init__(self) -> None:
        self.free = frozenset(_lines("email_free_domains.txt"))
        self.disposable = frozenset(_lines("email_disposable_domains.txt"))
        self.role = frozenset(_lines("email_role_locals.txt"))
        self.typos = dict(
            (parts[0], parts[1])
            for parts in (ln.split() for ln in _lines("email_domain_typos.txt"))
        )
        junk_local, junk_domain, junk_full = set(), set(), set()
        for line in _lines("email_junk.txt"):
            kind, _, rest = line.partition(":")
            if kind == "local" and rest:
                junk_local.add(rest)
            elif kind == "domain" and rest:
                junk_domain.add(rest)
            else:
                junk_full.add(line)
        self.junk_local = frozenset(junk_local)
        self.junk_domain = frozenset(junk_domain)
        self.junk_full = frozenset(junk_full)


@functools.cache
def _lists() -> _Lists:
    return _Lists()


def _in_domain_set(domain: str, names: frozenset[str]) -> bool:
    """True when ``domain`` or one of its parent domains is listed."""
    while True:
        if domain in names:
            return True
        _, dot, parent = domain.partition(".")
        if not dot or "." not in parent:
            return False
        domain = parent


def _unwrap(text: str) -> tuple[list[str], str | None, bool]:
    """(candidate addresses to try in order, display name, several addresses seen)."""
    text = _INVISIBLE.sub("", text).strip()
    display: str | None = None
    angle = _ANGLE.search(text)
    if angle is not None:
        display = text[: angle.start()].strip(_NAME_QUOTES) or None
        multiple = len(_ANGLE.findall(text)) > 1
        text = angle.group(1)
    else:
        multiple = False
    unprefixed = _MAILTO.sub("", text)
    if unprefixed != text:
        # "?" is legal in a local part, so a query is only cut from a mailto: URI.
        text = _QUERY.sub("", unprefixed)
    text = _OBFUSCATED_AT.sub("@", text)
    text = _OBFUSCATED_DOT.sub(".", text)
    text = _SPACED_AT.sub("@", text)
    with_at = [t for t in _SEPARATORS.split(text) if "@" in t.strip(_EDGE_JUNK)]
    if len(with_at) > 1:
        multiple = True
    token = with_at[0] if with_at else text
    # Quotes, brackets and dots around an address are usually debris, but they are legal
    # local-part characters too: strip them only when the token is not valid as it stands.
    stripped = token.strip(_EDGE_JUNK)
    return ([token, stripped] if stripped != token else [token]), display, multiple


def _validate(candidate: str) -> tuple[str, str, str] | None:
    """(local, domain, ascii domain) per email-validator's syntax rules, or ``None``."""
    fast = _FAST.fullmatch(candidate)
    if (
        fast is not None
        and len(candidate) <= 254
        and len(fast["domain"]) <= 253
        and "--" not in fast["domain"]
        and candidate[-1].isalpha()
        and not _special_use(fast["domain"])
    ):
        return fast["local"], fast["domain"], fast["domain"]
    try:
        info = validate_email(candidate, check_deliverability=False)
    except (EmailNotValidError, ValueError, UnicodeError):
        return None
    return info.local_part.lower(), info.domain.lower(), info.ascii_domain.lower()


def _special_use(domain: str) -> bool:
    # Read at call time: email-validator documents this list as adjustable.
    return any(
        domain == name or domain.endswith("." + name)
        for name in email_validator.SPECIAL_USE_DOMAIN_NAMES
    )


def _is_junk(local: str, domain: str, lists: _Lists) -> bool:
    base = local.split("+", 1)[0]
    if base in lists.junk_local or _NOREPLY.match(base):
        return True
    if f"{local}@{domain}" in lists.junk_full or _in_domain_set(domain, lists.junk_domain):
        return True
    if _REPEATED.match(base) and len(base) >= 3:
        return True
    first_label = domain.split(".", 1)[0]
    # "a@a.com", "x@xx.de": both halves a single repeated character.
    return bool(_REPEATED.match(base) and _REPEATED.match(first_label))


def _is_role(local: str, lists: _Lists) -> bool:
    base = local.split("+", 1)[0]
    if base in lists.role or _ROLE_SPLIT.sub("", base) in lists.role:
        return True
    # "info.berlin", "sales-emea". Short words are skipped because they are often initials,
    # and a few role words are also common name parts ("post.malone").
    first = _ROLE_SPLIT.split(base, 1)[0]
    return len(first) >= 4 and first in lists.role and first not in _ROLE_EXACT_ONLY


def parse_email(value: Any, *, provider_rules: bool = False) -> Parsed:
    """Parse a raw e-mail value; see the module docstring for the rules.

    Details: ``local``, ``domain``, ``ascii_domain``, ``domain_type`` (``"free"`` or
    ``"corporate"``) and, when present, ``tag`` (the ``+tag``), ``display_name`` and
    ``suggested_domain`` (for a typo).

    >>> p = parse_email("mailto:Jane.Doe+news@GMAIL.com")
    >>> p.value, p.reasons, p.details["domain_type"], p.details["tag"]
    ('jane.doe+news@gmail.com', ('email.free_mail',), 'free', 'news')
    >>> parse_email("no-reply@shop.com").value is None
    True
    """
    text = coerce_text(value)
    if text is None:
        return Parsed(None, ("email.empty",))
    if len(text) > _MAX_LEN:
        return Parsed(None, ("email.syntax",))
    candidates, display, multiple = _unwrap(text)
    reasons: list[str] = ["email.multiple"] if multiple else []
    validated = None
    for candidate in candidates:
        if "@" in candidate and len(candidate) <= 320:
            validated = _validate(candidate.lower())
            if validated is not None:
                break
    if validated is None:
        return Parsed(None, (*reasons, "email.syntax"))
    local, domain, ascii_domain = validated
    lists = _lists()
    details: dict[str, str] = {}

    suggestion = lists.typos.get(domain)
    if suggestion is not None:
        reasons.append("email.domain_typo")
        details["suggested_domain"] = suggestion
        if provider_rules:
            domain = ascii_domain = suggestion
    base, plus, tag = local.partition("+")
    if plus and base and tag:
        details["tag"] = tag
    if provider_rules and base:
        if domain in _GMAIL:
            domain = ascii_domain = "gmail.com"
            local = base.replace(".", "") or base
        elif domain in _PLUS_TAG_PROVIDERS:
            local = base

    details["local"] = local
    details["domain"] = domain
    details["ascii_domain"] = ascii_domain
    if display is not None:
        details["display_name"] = display
    free = domain in lists.free
    details["domain_type"] = "free" if free else "corporate"

    if _is_junk(local, domain, lists):
        return Parsed(None, (*reasons, "email.junk"), details)
    if _is_role(local, lists):
        reasons.append("email.role_account")
    if free:
        reasons.append("email.free_mail")
    if _in_domain_set(domain, lists.disposable):
        reasons.append("email.disposable")
    return Parsed(f"{local}@{domain}", tuple(reasons), details)


def normalize_email(value: Any, *, provider_rules: bool = False) -> str | None:
    """Canonical (lower-case) e-mail address, or ``None`` when nothing usable is there.

    >>> [normalize_email(x) for x in (" Bob@X.com ", "mailto:bob@x.com", "bob at x", None)]
    ['bob@x.com', 'bob@x.com', None, None]
    """
    return parse_email(value, provider_rules=provider_rules).value
