"""Phone numbers as Telegram Desktop writes them in ``result.json``: "+44 7700 900123".

Desktop's export passes every phone through ``Data::FormatPhoneNumber`` →
``Ui::FormatPhone`` (``ui/text/format_values.cpp``): a number starting with 0
is kept as it is; otherwise spaces are dropped, a leading '+' is stripped, and
``Countries::CountriesInstance::format`` (``countries/countries_instance.cpp``,
"ported from TDLib") picks the calling code with the longest code+prefix match
and lays the rest of the digits over that country's group pattern: '+', the
code, a space, the grouped digits.  A number no calling code matches comes back
as the bare digits (no '+').

The patterns below are the facts of Desktop's built-in country list
(``FallbackList`` in countries_instance.cpp, tdesktop commit 929032d, September 2025).
guess: at run time Desktop replaces that list with ``help.getCountriesList``
from the server, whose patterns may differ for a few countries; and a code with
no prefix there counts as the empty prefix (countries_manager.cpp ``convertMTP``
with ``force``), which is how every entry below is matched.
"""

from __future__ import annotations

from typing import NamedTuple

# "ISO code[/prefix] pattern", ';'-separated; X is any digit, spaces split the groups.
_COUNTRIES = """
AD 376 XX XX XX; AE 971 XX XXX XXXX; AF 93 XXX XXX XXX; AG 1268 XXX XXXX; AI 1264 XXX XXXX;
AL 355 XX XXX XXXX; AM 374 XX XXX XXX; AO 244 XXX XXX XXX; AR 54; AS 1684 XXX XXXX;
AT 43 X XXXXXXXX; AU 61 X XXXX XXXX; AW 297 XXX XXXX; AZ 994 XX XXX XXXX; BA 387 XX XXX XXX;
BB 1246 XXX XXXX; BD 880 XX XXX XXX; BE 32 XXX XX XX XX; BF 226 XX XX XX XX; BG 359;
BH 973 XXXX XXXX; BI 257 XX XX XXXX; BJ 229 XX XXX XXX; BM 1441 XXX XXXX; BN 673 XXX XXXX;
BO 591 X XXX XXXX; BQ 599; BR 55 XX XXXXX XXXX; BS 1242 XXX XXXX; BT 975 XX XXX XXX;
BW 267 XX XXX XXX; BY 375 XX XXX XXXX; BZ 501; CA 1/403 XXX XXX XXXX; CD 243 XX XXX XXXX;
CF 236 XX XX XX XX; CG 242 XX XXX XXXX; CH 41 XX XXX XXXX; CI 225 XX XX XX XXXX; CK 682;
CL 56 X XXXX XXXX; CM 237 XXXX XXXX; CN 86 XXX XXXX XXXX; CO 57 XXX XXX XXXX; CR 506 XXXX XXXX;
CU 53 X XXX XXXX; CV 238 XXX XXXX; CW 599/9; CY 357 XXXX XXXX; CZ 420 XXX XXX XXX;
DE 49 XXXX XXXXXXX; DJ 253 XX XX XX XX; DK 45 XXXX XXXX; DM 1767 XXX XXXX; DO 1809 XXX XXXX;
DZ 213 XXX XX XX XX; EC 593 XX XXX XXXX; EE 372 XXXX XXXX; EG 20 XX XXXX XXXX; ER 291 X XXX XXX;
ES 34 XXX XXX XXX; ET 251 XX XXX XXXX; FI 358; FJ 679 XXX XXXX; FK 500; FM 691; FO 298 XXX XXX;
FR 33 X XX XX XX XX; GA 241 X XX XX XX; GB 44 XXXX XXXXXX; GD 1473 XXX XXXX; GE 995 XXX XXX XXX;
GF 594; GH 233 XX XXX XXXX; GI 350 XXXX XXXX; GL 299 XXX XXX; GM 220 XXX XXXX; GN 224 XXX XXX XXX;
GP 590 XXX XX XX XX; GQ 240 XXX XXX XXX; GR 30 XXX XXX XXXX; GT 502 X XXX XXXX; GU 1671 XXX XXXX;
GW 245 XXX XXXX; GY 592; HK 852 X XXX XXXX; HN 504 XXXX XXXX; HR 385 XX XXX XXX; HT 509 XXXX XXXX;
HU 36 XXX XXX XXX; ID 62 XXX XXXXXX; IE 353 XX XXX XXXX; IL 972 XX XXX XXXX; IN 91 XXXXX XXXXX;
IO 246 XXX XXXX; IQ 964 XXX XXX XXXX; IR 98 XXX XXX XXXX; IS 354 XXX XXXX; IT 39 XXX XXX XXX;
JM 1876 XXX XXXX; JO 962 X XXXX XXXX; JP 81 XX XXXX XXXX; KE 254 XXX XXX XXX; KG 996 XXX XXXXXX;
KH 855 XX XXX XXX; KI 686 XXXX XXXX; KM 269 XXX XXXX; KN 1869 XXX XXXX; KP 850; KR 82 XX XXXX XXX;
KW 965 XXXX XXXX; KY 1345 XXX XXXX; KZ 7/6 XXX XXX XX XX; LA 856 XX XX XXX XXX; LB 961 XX XXX XXX;
LC 1758 XXX XXXX; LI 423 XXX XXXX; LK 94 XX XXX XXXX; LR 231 XX XXX XXXX; LS 266 XX XXX XXX;
LT 370 XXX XXXXX; LU 352 XXX XXX XXX; LV 371 XXX XXXXX; LY 218 XX XXX XXXX; MA 212 XX XXX XXXX;
MC 377 XXXX XXXX; MD 373 XX XXX XXX; ME 382; MG 261 XX XX XXX XX; MH 692; MK 389 XX XXX XXX;
ML 223 XXXX XXXX; MM 95; MN 976 XX XX XXXX; MO 853 XXXX XXXX; MP 1670 XXX XXXX; MQ 596;
MR 222 XXXX XXXX; MS 1664 XXX XXXX; MT 356 XX XX XX XX; MU 230 XXXX XXXX; MV 960 XXX XXXX;
MW 265 XX XXX XXXX; MX 52; MY 60 XX XXXX XXXX; MZ 258 XX XXX XXXX; NA 264 XX XXX XXXX; NC 687;
NE 227 XX XX XX XX; NF 672; NG 234 XX XXXX XXXX; NI 505 XXXX XXXX; NL 31 X XX XX XX XX;
NO 47 XXXX XXXX; NP 977 XX XXXX XXXX; NR 674; NU 683; NZ 64 XXXX XXXX; OM 968 XXXX XXXX;
PA 507 XXXX XXXX; PE 51 XXX XXX XXX; PF 689; PG 675; PH 63 XXX XXX XXXX; PK 92 XXX XXX XXXX;
PL 48 XXX XXX XXX; PM 508; PR 1787 XXX XXXX; PS 970 XXX XX XXXX; PT 351 XXX XXX XXX; PW 680;
PY 595 XXX XXX XXX; QA 974 XX XXX XXX; RE 262 XXX XXX XXX; RO 40 XXX XXX XXX; RS 381 XX XXX XXXX;
RU 7 XXX XXX XXXX; RW 250 XXX XXX XXX; SA 966 XX XXX XXXX; SB 677; SC 248 X XX XX XX;
SD 249 XX XXX XXXX; SE 46 XX XXX XXXX; SG 65 XXXX XXXX; SH 247; SI 386 XX XXX XXX;
SK 421 XXX XXX XXX; SL 232 XX XXX XXX; SM 378 XXX XXX XXXX; SN 221 XX XXX XXXX; SO 252 XX XXX XXX;
SR 597 XXX XXXX; SS 211 XX XXX XXXX; ST 239 XX XXXXX; SV 503 XXXX XXXX; SX 1721 XXX XXXX;
SY 963 XXX XXX XXX; SZ 268 XXXX XXXX; TC 1649 XXX XXXX; TD 235 XX XX XX XX; TG 228 XX XXX XXX;
TH 66 X XXXX XXXX; TJ 992 XX XXX XXXX; TK 690; TL 670; TM 993 XX XXXXXX; TN 216 XX XXX XXX; TO 676;
TR 90 XXX XXX XXXX; TT 1868 XXX XXXX; TV 688; TW 886 XXX XXX XXX; TZ 255 XX XXX XXXX;
UA 380 XX XXX XX XX; UG 256 XX XXX XXXX; US 1 XXX XXX XXXX; UY 598 X XXX XXXX; UZ 998 XX XXX XX XX;
VC 1784 XXX XXXX; VE 58 XXX XXX XXXX; VG 1284 XXX XXXX; VI 1340 XXX XXXX; VN 84; VU 678; WF 681;
WS 685; XK 383 XXXX XXXX; YE 967 XXX XXX XXX; ZA 27 XX XXX XXXX; ZM 260 XX XXX XXXX;
ZW 263 XX XXX XXXX;
"""


class _CallingCode(NamedTuple):
    code: str
    prefix: str
    pattern: str


def _parse(table: str) -> tuple[_CallingCode, ...]:
    codes = []
    for entry in table.split(";"):
        fields = entry.split(maxsplit=2)
        if not fields:
            continue
        code, _, prefix = fields[1].partition("/")
        codes.append(_CallingCode(code, prefix, fields[2] if len(fields) > 2 else ""))
    return tuple(codes)


_CODES = _parse(_COUNTRIES)


def format_phone(phone: str | None) -> str:
    """The phone number as Desktop's export writes it ("" for none)."""
    if not phone:
        return ""
    if phone[0] == "0":
        return phone
    digits = phone.replace(" ", "")
    if digits.startswith("+"):
        digits = digits[1:]
    best: _CallingCode | None = None
    best_length = 0
    # The first entry wins a tie, as in Desktop's loop (strictly longer replaces).
    for entry in _CODES:
        length = len(entry.code) + len(entry.prefix)
        if length > best_length and digits.startswith(entry.code + entry.prefix):
            best, best_length = entry, length
    if best is None:
        return digits
    rest = digits[len(best.code) :]
    return f"+{best.code} {_grouped(rest, best.pattern)}"


def _grouped(digits: str, pattern: str) -> str:
    """The digits laid over the pattern: separators copied in front of the next digit, digits
    past the pattern's end appended as they are, trailing separators never written."""
    if not pattern:
        return digits
    out: list[str] = []
    position = 0
    for digit in digits:
        while position < len(pattern) and pattern[position] != "X" and not pattern[position].isdigit():
            out.append(pattern[position])
            position += 1
        if position < len(pattern) and pattern[position].isdigit() and pattern[position] != digit:
            # A pattern with fixed digits that do not match leaves the number ungrouped.
            return digits
        out.append(digit)
        position += 1
    return "".join(out)
