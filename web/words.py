"""The web view's words in French, Dutch and English (the report's own labels come from reports/)."""

from __future__ import annotations

from collections.abc import Mapping

# key: (French, Dutch, English)
WORDS: dict[str, tuple[str, str, str]] = {
    "overview": ("Vue d'ensemble", "Overzicht", "Overview"),
    "register": ("Registre", "Register", "Register"),
    "board": ("Conseil", "Bestuur", "Board"),
    "assemblies": ("Assemblées", "Algemene vergaderingen", "Assemblies"),
    "assembly": ("Assemblée", "Algemene vergadering", "Assembly"),
    "report": ("Rapport annuel", "Jaarverslag", "Annual report"),
    "ledger": ("État du registre", "Staat van het register", "Ledger state"),
    "as_of": ("À la date du", "Op datum van", "As of"),
    "known_at": ("Tel que connu le", "Zoals gekend op", "As known at"),
    "known_help": (
        "date, date-heure UTC ou #N (après l'écriture N); vide: tout ce qui est enregistré",
        "datum, datum-tijd UTC of #N (na boeking N); leeg: alles wat geregistreerd is",
        "date, date-time UTC or #N (after entry N); empty: everything recorded",
    ),
    "show": ("Afficher", "Tonen", "Show"),
    "language": ("Langue", "Taal", "Language"),
    "permalink": ("Lien permanent", "Vaste link", "Permanent link"),
    "permalink_help": (
        "cette page telle qu'elle est maintenant, pour toujours",
        "deze pagina zoals ze nu is, voor altijd",
        "this page as it is now, for good",
    ),
    "read_only": ("lecture seule", "alleen lezen", "read-only"),
    "members": ("Sociétaires", "Vennoten", "Members"),
    "members_on": ("sociétaires au", "vennoten op", "members on"),
    "member": ("Sociétaire", "Vennoot", "Member"),
    "name": ("Nom", "Naam", "Name"),
    "category": ("Catégorie", "Categorie", "Category"),
    "all": ("toutes", "alle", "all"),
    "status": ("Statut", "Status", "Status"),
    "status_member": ("sociétaires", "vennoten", "members"),
    "status_former": ("anciens sociétaires", "gewezen vennoten", "former members"),
    "status_all": ("tous", "iedereen", "everyone"),
    "former": ("Ancien sociétaire", "Gewezen vennoot", "Former member"),
    "shares": ("Parts", "Aandelen", "Shares"),
    "paid_up": ("Libéré", "Volstort", "Paid up"),
    "subscribed": ("Souscrit", "Geplaatst", "Subscribed"),
    "admitted": ("Admis le", "Toegetreden op", "Admitted"),
    "founder": ("Fondateur", "Stichter", "Founder"),
    "yes": ("oui", "ja", "yes"),
    "no": ("non", "nee", "no"),
    "exit_date": ("Sortie le", "Uitgetreden op", "Exit date"),
    "exit_kind": ("Sortie", "Uittreding", "Exit"),
    "exit_reason": ("Motif", "Reden", "Reason"),
    "address": ("Adresse", "Adres", "Address"),
    "email": ("Courriel", "E-mail", "E-mail"),
    "search": ("Numéro commençant par", "Nummer dat begint met", "Member id starting with"),
    "sort": ("Trier par", "Sorteren op", "Sort by"),
    "ascending": ("croissant", "oplopend", "ascending"),
    "descending": ("décroissant", "aflopend", "descending"),
    "per_page": ("par page", "per pagina", "per page"),
    "page": ("Page", "Pagina", "Page"),
    "of": ("sur", "van", "of"),
    "previous": ("← précédente", "← vorige", "← previous"),
    "next": ("suivante →", "volgende →", "next →"),
    "first": ("« première", "« eerste", "« first"),
    "last": ("dernière »", "laatste »", "last »"),
    "download_csv": ("Télécharger (CSV)", "Downloaden (CSV)", "Download (CSV)"),
    "download_xlsx": ("Télécharger (XLSX)", "Downloaden (XLSX)", "Download (XLSX)"),
    "filter": ("Filtrer", "Filteren", "Filter"),
    "rows": ("lignes", "rijen", "rows"),
    "none": ("aucun", "geen", "none"),
    "personal_hidden": (
        "Adresses et courriels masqués (coopledger serve --show-personal-data les affiche).",
        "Adressen en e-mails verborgen (coopledger serve --show-personal-data toont ze).",
        "Addresses and e-mails hidden (coopledger serve --show-personal-data shows them).",
    ),
    "identity": ("Identité", "Identiteit", "Identity"),
    "erased": ("effacée", "gewist", "erased"),
    "not_held": ("non détenue", "niet bewaard", "not held"),
    "certificate": (
        "Attestation d'inscription au registre",
        "Attest van inschrijving",
        "Register certificate",
    ),
    "certificate_text": (
        "{name} ({member}) est inscrit(e) au registre des sociétaires depuis le {admitted}, "
        "en catégorie {category}, pour {shares} part(s), dont {paid} libérés, au {day}.",
        "{name} ({member}) is sinds {admitted} ingeschreven in het register van vennoten, "
        "in categorie {category}, met {shares} aandeel/aandelen, waarvan {paid} volstort, op {day}.",
        "{name} ({member}) has been entered in the register of members since {admitted}, "
        "in category {category}, with {shares} share(s), {paid} paid up, on {day}.",
    ),
    "not_member_on": (
        "{member} n'est pas sociétaire au {day}.",
        "{member} is geen vennoot op {day}.",
        "{member} is not a member on {day}.",
    ),
    "over_time": (
        "Parts et libérations dans le temps",
        "Aandelen en stortingen in de tijd",
        "Shares and payments over time",
    ),
    "from": ("Du", "Van", "From"),
    "to": ("Au", "Tot", "To"),
    "movements": ("Mouvements", "Bewegingen", "Movements"),
    "date": ("Date", "Datum", "Date"),
    "kind": ("Nature", "Soort", "Kind"),
    "count": ("Nombre", "Aantal", "Count"),
    "amount": ("Montant", "Bedrag", "Amount"),
    "entries": ("Écritures", "Boekingen", "Entries"),
    "entry": ("Écriture", "Boeking", "Entry"),
    "type": ("Type", "Type", "Type"),
    "details": ("Détails", "Details", "Details"),
    "recorded": ("Enregistrée", "Geregistreerd", "Recorded"),
    "by": ("Par", "Door", "By"),
    "ref": ("Réf.", "Ref.", "Ref."),
    "retracted": ("Retirée", "Ingetrokken", "Retracted"),
    "mandates": ("Mandats", "Mandaten", "Mandates"),
    "body": ("Organe", "Orgaan", "Body"),
    "until": ("Jusqu'au", "Tot", "Until"),
    "votes_taken": (
        "Assemblées auxquelles il a pris part",
        "Vergaderingen waaraan deelgenomen",
        "Assemblies taken part in",
    ),
    "proxy": ("Procuration", "Volmacht", "Proxy"),
    "seats": ("sièges", "zetels", "seats"),
    "held": ("occupés", "bezet", "held"),
    "vacant": ("vacants", "vacant", "vacant"),
    "vacant_seat": ("siège vacant", "vacante zetel", "vacant seat"),
    "person": ("Personne", "Persoon", "Person"),
    "how": ("Comment", "Hoe", "How"),
    "since": ("Depuis", "Sinds", "Since"),
    "replaces": ("Remplace", "Vervangt", "Replaces"),
    "ending": (
        "Mandats finissant dans les 12 mois",
        "Mandaten die binnen 12 maanden aflopen",
        "Mandates ending within 12 months",
    ),
    "flags": ("Signalements", "Signaleringen", "Flags"),
    "no_flags": ("Rien à signaler.", "Niets te melden.", "Nothing flagged."),
    "participation": ("Participation", "Deelname", "Participation"),
    "participation_chart": (
        "Participation par assemblée (%)",
        "Deelname per algemene vergadering (%)",
        "Participation per assembly (%)",
    ),
    "voters": ("Votants", "Stemmers", "Voters"),
    "in_person": ("en personne", "in persoon", "in person"),
    "by_proxy": ("par procuration", "bij volmacht", "by proxy"),
    "quorum": ("Quorum", "Quorum", "Quorum"),
    "met": ("atteint", "bereikt", "met"),
    "not_met": ("non atteint", "niet bereikt", "not met"),
    "resolutions": ("Résolutions", "Besluiten", "Resolutions"),
    "resolution": ("Résolution", "Besluit", "Resolution"),
    "title": ("Intitulé", "Titel", "Title"),
    "for": ("Pour", "Voor", "For"),
    "against": ("Contre", "Tegen", "Against"),
    "abstain": ("Abstentions", "Onthoudingen", "Abstentions"),
    "majority": ("Majorité", "Meerderheid", "Majority"),
    "outcome": ("Résultat", "Uitslag", "Outcome"),
    "adopted": ("adoptée", "aangenomen", "adopted"),
    "rejected": ("rejetée", "verworpen", "rejected"),
    "allocation": ("Affectation du résultat", "Resultaatbestemming", "Allocation of the result"),
    "reserves": ("Réserves", "Reserves", "Reserves"),
    "dividend_rate": ("Dividende (%)", "Dividend (%)", "Dividend (%)"),
    "no_assemblies": (
        "Aucune assemblée sur la période.",
        "Geen algemene vergaderingen in de periode.",
        "No assembly in the period.",
    ),
    "year": ("Exercice", "Boekjaar", "Year"),
    "figure": ("Chiffre", "Cijfer", "Figure"),
    "value": ("Valeur", "Waarde", "Value"),
    "report_document": (
        "Le rapport spécial (HTML, avec graphique)",
        "Het bijzonder verslag (HTML, met grafiek)",
        "The special report (HTML, with chart)",
    ),
    "last_entry": ("Dernière écriture", "Laatste boeking", "Last entry"),
    "hash": ("Empreinte", "Hash", "Hash"),
    "checkpoint": ("Dernier point de contrôle", "Laatste controlepunt", "Last checkpoint"),
    "no_checkpoint": ("aucun point de contrôle pris", "geen controlepunt genomen", "no checkpoint taken"),
    "verify": (
        "Vérification (coopledger verify)",
        "Controle (coopledger verify)",
        "Verification (coopledger verify)",
    ),
    "verify_running": ("en cours…", "bezig…", "running…"),
    "verify_ok": ("tout est en ordre", "alles in orde", "everything holds"),
    "verify_broken": ("PROBLÈME", "PROBLEEM", "BROKEN"),
    "checked_upto": ("vérifié jusqu'à l'écriture", "gecontroleerd tot boeking", "checked up to entry"),
    "read_models": ("Modèles de lecture", "Leesmodellen", "Read models"),
    "lagging": (
        "en retard: lancez une commande coopledger (p. ex. register) pour les mettre à jour",
        "achter: voer een coopledger-opdracht uit (bv. register) om ze bij te werken",
        "behind: run a coopledger command (e.g. register) to catch them up",
    ),
    "current": ("à jour", "bij", "current"),
    "chart_members": (
        "Sociétaires par catégorie en fin de mois",
        "Vennoten per categorie op het einde van de maand",
        "Members by category at the end of each month",
    ),
    "chart_movements": (
        "Admissions et sorties par mois",
        "Toetredingen en uittredingen per maand",
        "Admissions and exits by month",
    ),
    "chart_capital": (
        "Capital en fin de mois (€)",
        "Kapitaal op het einde van de maand (€)",
        "Capital at the end of each month (€)",
    ),
    "no_data": ("aucune donnée sur la période", "geen gegevens in de periode", "no data in the period"),
    "resigned": ("démissions", "ontslagen", "resignations"),
    "left": ("départs de plein droit", "uittredingen van rechtswege", "departures by right"),
    "excluded": ("exclusions", "uitsluitingen", "exclusions"),
    "admissions": ("admissions", "toetredingen", "admissions"),
    "years_shown": ("Années montrées", "Getoonde jaren", "Years shown"),
    "figures_table": ("Les chiffres", "De cijfers", "The figures"),
    "capital": ("Capital", "Kapitaal", "Capital"),
    "not_found": ("Introuvable", "Niet gevonden", "Not found"),
    "bad_request": ("Demande incorrecte", "Ongeldige aanvraag", "Bad request"),
    "known_suffix": (", tel que connu le {known}", ", zoals gekend op {known}", ", as known at {known}"),
    "elected": ("élu", "verkozen", "elected"),
    "renewed": ("réélu", "herverkozen", "renewed"),
    "coopted, confirmed": ("coopté, confirmé", "gecoöpteerd, bevestigd", "coopted, confirmed"),
    "coopted, not confirmed": (
        "coopté, non confirmé",
        "gecoöpteerd, niet bevestigd",
        "coopted, not confirmed",
    ),
}
LANG_INDEX = {"fr": 0, "nl": 1, "en": 2}
LANG_NAMES = {"fr": "Français", "nl": "Nederlands", "en": "English"}


class Words(Mapping[str, str]):
    """The words of one language; a key without a translation is shown as it is."""

    def __init__(self, lang: str):
        self.lang = lang
        self.index = LANG_INDEX[lang]

    def __getitem__(self, key: str) -> str:
        found = WORDS.get(key)
        return found[self.index] if found else key

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(WORDS)

    def __len__(self) -> int:
        return len(WORDS)
