"""The secretary's documents in French, Dutch and English: the legal register, a member's
certificate, an assembly's roll and its mailing list (`reports/labels.py` holds the report's).

The cells of a document of 450,000 members are formatted here by hand (`day`, `money`,
`number`): the same figures as the report's Babel formats (17/06/2025, 1.250,00 €, € 1.250,00,
€1,250.00), a hundred times faster per cell.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from coopledger.reports.options import THOUSANDS

WORDS: dict[str, dict[str, str]] = {
    "fr": {
        # the register
        "register": "Registre des actionnaires",
        "register_law": "registre des actions nominatives (article 6:24 du Code des sociétés et des "
        "associations)",
        "as_of": "au {date}",
        "known_at": "tel que connu le {moment}",
        "as_recorded": "tel qu'enregistré",
        "checkpoint": "point de contrôle (arbre de Merkle)\u00a0: {size}, racine {root}",
        "entries": "écritures n° 1 à {count}",
        "entry": "écriture n° 1",
        "signed_checkpoint": "point de contrôle signé, enregistré le {moment}\u00a0:",
        "voting_person": "droit de vote\u00a0: une voix par actionnaire",
        "voting_share": "droit de vote\u00a0: une voix par part, au plus {cap}\u00a0% des voix présentes "
        "ou représentées",
        "totals": "Au {date}\u00a0: {members}, {shares}, capital libéré {paid_up}",
        "totals_category": "catégorie {category}\u00a0: {members}, {shares}, capital libéré {paid_up}",
        "member_one": "{count} actionnaire",
        "member_other": "{count} actionnaires",
        "share_one": "{count} part",
        "share_other": "{count} parts",
        "page": "page {page} sur",
        "sheet_register": "Registre",
        "sheet_movements": "Mouvements",
        "erased": "[effacé]",
        "not_held": "[non détenu]",
        # columns
        "member": "n°",
        "name": "nom ou dénomination",
        "address": "domicile ou siège",
        "category": "catégorie",
        "category_short": "cat.",
        "admitted": "admission",
        "founder": "fondateur",
        "shares": "parts",
        "paid_up": "capital libéré",
        "status": "qualité",
        "exit_date": "sortie",
        "exit_kind": "nature de la sortie",
        "exit_reason": "motif",
        "date": "date",
        "kind": "mouvement",
        "count": "parts",
        "amount": "montant",
        "detail": "précision",
        "seq": "écriture n°",
        "votes": "voix",
        "proxy": "représenté·e par",
        "signature": "signature",
        "email": "courriel",
        # values
        "yes": "oui",
        "no": "non",
        "status_member": "actionnaire",
        "status_former": "sorti·e",
        "admitted_kind": "Admission",
        "category_changed": "Changement de catégorie",
        "subscribed": "Souscription",
        "paid": "Libération",
        "transferred": "Cession de parts",
        "received": "Acquisition de parts par cession",
        "redeemed": "Rachat de parts",
        "resigned": "Démission",
        "left": "Départ de plein droit",
        "excluded": "Exclusion",
        "death": "décès",
        "end_of_employment": "fin du contrat de travail",
        "bankruptcy": "faillite",
        "other": "autre cause",
        "to": "à {member}",
        "from": "de {member}",
        "category_from": "de la catégorie {old} à la catégorie {new}",
        "amount_carried": "capital libéré {amount}",
        "exit_holding": "détenait {shares}, capital libéré {amount}",
        # the certificate
        "certificate": "Certificat d'inscription au registre des actionnaires",
        "certificate_intro": "{cooperative} certifie que son registre des actionnaires (article 6:24 du Code "
        "des sociétés et des associations) porte au {date}, {known}, l'inscription suivante\u00a0:",
        "the_cooperative": "La coopérative",
        "movements": "Mouvements inscrits",
        "no_movement": "aucun mouvement inscrit",
        "certificate_checkpoint": "Ce certificat reproduit le registre tel qu'il résulte des {entries} du "
        "grand livre de la coopérative, dont le point de contrôle (arbre de Merkle, RFC 9162) est\u00a0:",
        "certificate_proof": "L'actionnaire peut en obtenir la preuve\u00a0: "
        "coopledger prove --member {member} --checkpoint FICHIER, vérifiable sans coopledger "
        "(verify_bundle.py).",
        "issued": "Délivré le {date}.",
        "for_the_board": "Pour le conseil d'administration",
        # the roll
        "roll": "Liste de présence",
        "roll_assembly": "Assemblée générale {kind} {assembly} du {date}",
        "kind_ordinary": "ordinaire",
        "kind_extraordinary": "extraordinaire",
        "roll_entitled": "Actionnaires inscrit·es au registre le jour de l'assemblée, qui ont le droit d'y "
        "prendre part\u00a0: {members}, {votes}",
        "vote_one": "{count} voix",
        "vote_other": "{count} voix",
        "roll_sign": "Chaque actionnaire présent·e signe en face de son nom\u00a0; un·e actionnaire "
        "représenté·e par procuration porte le nom de son mandataire.",
    },
    "nl": {
        "register": "Register van aandeelhouders",
        "register_law": "register van de aandelen op naam (artikel 6:24 van het Wetboek van vennootschappen "
        "en verenigingen)",
        "as_of": "op {date}",
        "known_at": "zoals gekend op {moment}",
        "as_recorded": "zoals geregistreerd",
        "checkpoint": "controlepunt (Merkleboom): {size}, wortel {root}",
        "entries": "boekingen nr. 1 tot {count}",
        "entry": "boeking nr. 1",
        "signed_checkpoint": "ondertekend controlepunt, geregistreerd op {moment}:",
        "voting_person": "stemrecht: één stem per aandeelhouder",
        "voting_share": "stemrecht: één stem per aandeel, ten hoogste {cap} % van de aanwezige of "
        "vertegenwoordigde stemmen",
        "totals": "Op {date}: {members}, {shares}, volgestort kapitaal {paid_up}",
        "totals_category": "categorie {category}: {members}, {shares}, volgestort kapitaal {paid_up}",
        "member_one": "{count} aandeelhouder",
        "member_other": "{count} aandeelhouders",
        "share_one": "{count} aandeel",
        "share_other": "{count} aandelen",
        "page": "pagina {page} van",
        "sheet_register": "Register",
        "sheet_movements": "Bewegingen",
        "erased": "[gewist]",
        "not_held": "[niet bewaard]",
        "member": "nr.",
        "name": "naam",
        "address": "woonplaats of zetel",
        "category": "categorie",
        "category_short": "cat.",
        "admitted": "toetreding",
        "founder": "oprichter",
        "shares": "aandelen",
        "paid_up": "volgestort kapitaal",
        "status": "hoedanigheid",
        "exit_date": "uittreding",
        "exit_kind": "aard van de uittreding",
        "exit_reason": "reden",
        "date": "datum",
        "kind": "beweging",
        "count": "aandelen",
        "amount": "bedrag",
        "detail": "toelichting",
        "seq": "boeking nr.",
        "votes": "stemmen",
        "proxy": "vertegenwoordigd door",
        "signature": "handtekening",
        "email": "e-mail",
        "yes": "ja",
        "no": "nee",
        "status_member": "aandeelhouder",
        "status_former": "uitgetreden",
        "admitted_kind": "Toetreding",
        "category_changed": "Wijziging van categorie",
        "subscribed": "Plaatsing",
        "paid": "Volstorting",
        "transferred": "Overdracht van aandelen",
        "received": "Verkrijging van aandelen door overdracht",
        "redeemed": "Inkoop van aandelen",
        "resigned": "Ontslag",
        "left": "Uittreding van rechtswege",
        "excluded": "Uitsluiting",
        "death": "overlijden",
        "end_of_employment": "einde van de arbeidsovereenkomst",
        "bankruptcy": "faillissement",
        "other": "andere oorzaak",
        "to": "aan {member}",
        "from": "van {member}",
        "category_from": "van categorie {old} naar categorie {new}",
        "amount_carried": "volgestort kapitaal {amount}",
        "exit_holding": "bezat {shares}, volgestort kapitaal {amount}",
        "certificate": "Certificaat van inschrijving in het register van aandeelhouders",
        "certificate_intro": "{cooperative} verklaart dat haar register van aandeelhouders "
        "(artikel 6:24 van het Wetboek van vennootschappen en verenigingen) op {date}, {known}, "
        "de volgende inschrijving bevat:",
        "the_cooperative": "De coöperatie",
        "movements": "Ingeschreven bewegingen",
        "no_movement": "geen ingeschreven beweging",
        "certificate_checkpoint": "Dit certificaat geeft het register weer zoals het volgt uit de {entries} "
        "van het grootboek van de coöperatie, waarvan het controlepunt (Merkleboom, RFC 9162) luidt:",
        "certificate_proof": "De aandeelhouder kan er het bewijs van krijgen: coopledger prove --member "
        "{member} --checkpoint BESTAND, na te gaan zonder coopledger (verify_bundle.py).",
        "issued": "Afgeleverd op {date}.",
        "for_the_board": "Voor de raad van bestuur",
        "roll": "Aanwezigheidslijst",
        "roll_assembly": "{kind} algemene vergadering {assembly} van {date}",
        "kind_ordinary": "Gewone",
        "kind_extraordinary": "Buitengewone",
        "roll_entitled": "Aandeelhouders ingeschreven in het register op de dag van de vergadering, "
        "die eraan mogen deelnemen: {members}, {votes}",
        "vote_one": "{count} stem",
        "vote_other": "{count} stemmen",
        "roll_sign": "Elke aanwezige aandeelhouder tekent naast zijn of haar naam; bij een volmacht staat "
        "de naam van de volmachtdrager erbij.",
    },
    "en": {
        "register": "Register of members",
        "register_law": "register of registered shares (article 6:24 of the Belgian Code of Companies and "
        "Associations)",
        "as_of": "as of {date}",
        "known_at": "as known at {moment}",
        "as_recorded": "as recorded",
        "checkpoint": "checkpoint (Merkle tree): {size}, root {root}",
        "entries": "entries 1 to {count}",
        "entry": "entry 1",
        "signed_checkpoint": "signed checkpoint, recorded on {moment}:",
        "voting_person": "voting rights: one vote per member",
        "voting_share": "voting rights: one vote per share, at most {cap} % of the votes present or "
        "represented",
        "totals": "On {date}: {members}, {shares}, paid-up capital {paid_up}",
        "totals_category": "category {category}: {members}, {shares}, paid-up capital {paid_up}",
        "member_one": "{count} member",
        "member_other": "{count} members",
        "share_one": "{count} share",
        "share_other": "{count} shares",
        "page": "page {page} of",
        "sheet_register": "Register",
        "sheet_movements": "Movements",
        "erased": "[erased]",
        "not_held": "[not held]",
        "member": "no.",
        "name": "name",
        "address": "address or seat",
        "category": "category",
        "category_short": "cat.",
        "admitted": "admitted",
        "founder": "founder",
        "shares": "shares",
        "paid_up": "paid-up capital",
        "status": "status",
        "exit_date": "exit",
        "exit_kind": "kind of exit",
        "exit_reason": "reason",
        "date": "date",
        "kind": "movement",
        "count": "shares",
        "amount": "amount",
        "detail": "detail",
        "seq": "entry no.",
        "votes": "votes",
        "proxy": "represented by",
        "signature": "signature",
        "email": "e-mail",
        "yes": "yes",
        "no": "no",
        "status_member": "member",
        "status_former": "former member",
        "admitted_kind": "Admission",
        "category_changed": "Change of category",
        "subscribed": "Subscription",
        "paid": "Payment",
        "transferred": "Transfer of shares",
        "received": "Shares received by transfer",
        "redeemed": "Shares bought back",
        "resigned": "Resignation",
        "left": "Departure by right",
        "excluded": "Exclusion",
        "death": "death",
        "end_of_employment": "end of employment",
        "bankruptcy": "bankruptcy",
        "other": "other cause",
        "to": "to {member}",
        "from": "from {member}",
        "category_from": "from category {old} to category {new}",
        "amount_carried": "paid-up capital {amount}",
        "exit_holding": "held {shares}, paid-up capital {amount}",
        "certificate": "Certificate of registration in the register of members",
        "certificate_intro": "{cooperative} certifies that its register of members (article 6:24 of the "
        "Belgian Code of Companies and Associations) holds on {date}, {known}, the following entry:",
        "the_cooperative": "The cooperative",
        "movements": "Movements registered",
        "no_movement": "no movement registered",
        "certificate_checkpoint": "This certificate gives the register as it follows from {entries} of the "
        "cooperative's ledger, whose checkpoint (Merkle tree, RFC 9162) is:",
        "certificate_proof": "The member can obtain the proof: coopledger prove --member {member} "
        "--checkpoint FILE, checked without coopledger (verify_bundle.py).",
        "issued": "Issued on {date}.",
        "for_the_board": "For the board of directors",
        "roll": "Attendance list",
        "roll_assembly": "{kind} general assembly {assembly} of {date}",
        "kind_ordinary": "Ordinary",
        "kind_extraordinary": "Extraordinary",
        "roll_entitled": "Members in the register on the day of the assembly, entitled to take part: "
        "{members}, {votes}",
        "vote_one": "{count} vote",
        "vote_other": "{count} votes",
        "roll_sign": "Each member present signs beside their name; a member represented by proxy has the "
        "name of their proxy holder beside theirs.",
    },
}

# French and Dutch write the decimal comma; English the point (reports/options.py THOUSANDS).
DECIMAL = {"fr": ",", "nl": ",", "en": "."}


def word(key: str, lang: str, **values: object) -> str:
    """The document's words for `key`, with the values put in."""
    return WORDS[lang][key].format(**values)


def counted(count: int, key: str, lang: str) -> str:
    """`1 part`, `2 parts`: French, Dutch and English share the plural rule for whole numbers
    (one for 1, else other; French also says 0 part, which the documents never print)."""
    form = "one" if count == 1 or (lang == "fr" and count == 0) else "other"
    return word(f"{key}_{form}", lang, count=number(count, lang))


def day(value: dt.date | None) -> str:
    """A date in figures, as Belgian minutes write it (17/06/2025), in every language."""
    return "" if value is None else f"{value.day:02d}/{value.month:02d}/{value.year:04d}"


def number(value: int, lang: str) -> str:
    """A whole number with the language's thousands separator: 45.600, 45,600."""
    text = f"{value:,}"
    return text.replace(",", THOUSANDS[lang]) if lang != "en" else text


def money(value: Decimal | None, lang: str) -> str:
    """An amount in euros as the report writes it: 1.250,00 € (fr), € 1.250,00 (nl), €1,250.00 (en)."""
    if value is None:
        return ""
    text = f"{abs(value):,.2f}"
    if lang != "en":
        whole, _, cents = text.partition(".")
        text = whole.replace(",", THOUSANDS[lang]) + DECIMAL[lang] + cents
    sign = "-" if value < 0 else ""
    if lang == "fr":
        return f"{sign}{text}\u00a0€"
    if lang == "nl":
        return f"€\u00a0{sign}{text}"
    return f"{sign}€{text}"
