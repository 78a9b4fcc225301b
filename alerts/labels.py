"""Every word the digest shows, in Spanish (first) and English, in one place.

Translators edit this module only; templates and the subject line look labels up here.
"""

from __future__ import annotations

LANGUAGES = ("es", "en")
DEFAULT_LANGUAGE = "es"

# Order of sections in a digest: what appeared first, then what moved, then what vanished.
KIND_ORDER = ("new", "updated", "removed", "restored")

KIND_LABELS: dict[str, dict[str, str]] = {
    "es": {"new": "Nuevo", "updated": "Actualizado", "removed": "Eliminado", "restored": "Restaurado"},
    "en": {"new": "New", "updated": "Updated", "removed": "Removed", "restored": "Restored"},
}

SECTION_LABELS: dict[str, dict[str, str]] = {
    "es": {
        "new": "Documentos nuevos",
        "updated": "Documentos actualizados",
        "removed": "Documentos eliminados",
        "restored": "Documentos restaurados",
        "other": "Otros cambios",
    },
    "en": {
        "new": "New documents",
        "updated": "Updated documents",
        "removed": "Removed documents",
        "restored": "Restored documents",
        "other": "Other changes",
    },
}

# Subject-line counts: (singular, plural). Spanish agrees with "documento" (masculine).
COUNT_WORDS: dict[str, dict[str, tuple[str, str]]] = {
    "es": {
        "new": ("nuevo", "nuevos"),
        "updated": ("actualizado", "actualizados"),
        "removed": ("eliminado", "eliminados"),
        "restored": ("restaurado", "restaurados"),
        "other": ("otro", "otros"),
    },
    "en": {
        "new": ("new", "new"),
        "updated": ("updated", "updated"),
        "removed": ("removed", "removed"),
        "restored": ("restored", "restored"),
        "other": ("other", "other"),
    },
}

MILESTONE_LABELS: dict[str, dict[str, str]] = {
    "es": {
        "complaint": "Denuncia",
        "constitutional_complaint": "Denuncia constitucional",
        "preliminary_investigation": "Investigación preliminar",
        "investigation_extended": "Ampliación de la investigación",
        "formal_investigation": "Investigación preparatoria formalizada",
        "indictment": "Acusación fiscal",
        "hearing": "Audiencia",
        "trial": "Juicio oral",
        "ruling": "Sentencia o resolución judicial",
        "coercive_measure": "Medida coercitiva",
        "archived": "Archivo de la investigación",
        "testimony": "Declaración",
        "forensic": "Pericia forense",
        "report": "Informe",
        "precautionary_measure": "Medida cautelar (CIDH)",
        "statement": "Pronunciamiento",
        "institutional": "Cambio institucional",
        "legislation": "Legislación",
        "appeal": "Recurso o apelación",
    },
    "en": {
        "complaint": "Criminal complaint",
        "constitutional_complaint": "Constitutional complaint",
        "preliminary_investigation": "Preliminary investigation",
        "investigation_extended": "Investigation extended",
        "formal_investigation": "Formal investigation",
        "indictment": "Indictment",
        "hearing": "Hearing",
        "trial": "Trial",
        "ruling": "Ruling",
        "coercive_measure": "Coercive measure",
        "archived": "Investigation archived",
        "testimony": "Testimony",
        "forensic": "Forensic evidence",
        "report": "Report",
        "precautionary_measure": "Precautionary measure (IACHR)",
        "statement": "Statement",
        "institutional": "Institutional change",
        "legislation": "Legislation",
        "appeal": "Appeal",
    },
}

MONTHS: dict[str, tuple[str, ...]] = {
    "es": ("ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sep", "oct", "nov", "dic"),
    "en": ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
}

# Free-standing phrases used by the templates; `{name}` placeholders are filled by `text()`.
TEXTS: dict[str, dict[str, str]] = {
    "es": {
        "brand": "casewatch",
        "no_changes": "sin cambios",
        "several_cases": "{n} casos",
        "greeting": "Hola {name}:",
        "greeting_anon": "Hola:",
        "intro": "Estos son los cambios detectados en las fuentes que vigilamos.",
        "period": "Periodo",
        "generated": "Generado",
        "times_note": "Horas de Lima (America/Lima).",
        "source": "Fuente",
        "kind": "Cambio",
        "published": "Publicado",
        "detected": "Detectado",
        "cases": "Casos",
        "matched_terms": "Términos encontrados",
        "score": "puntaje",
        "milestones": "Hitos",
        "summary": "Resumen",
        "diff": "Qué cambió",
        "link": "Enlace",
        "untitled": "(sin título)",
        "unsafe_link": "(enlace no seguro, no se muestra como enlace)",
        "more_lines": "… {n} líneas más",
        "more_lines_one": "… 1 línea más",
        "empty": "No se detectaron cambios en este periodo.",
        "footer_why": ("Recibes este correo porque {email} está suscrito a los resúmenes de casewatch sobre: {cases}."),
        "footer_sources": "casewatch vigila {n} fuentes públicas.",
        "health_title": "Estado de las fuentes",
        "health_intro": "Estas fuentes no se pudieron leer bien en los últimos intentos; lo publicado en ellas "
                        "puede faltar en este resumen. El equipo de casewatch ya fue avisado.",
        "health_since": "desde",
        "also_reported": "También lo informaron",
        "timeline_title": "Estado del caso",
        "timeline_intro": "Últimos hitos, en el orden en que ocurrieron:",
        "timeline_sources": "Fuentes",
        "timeline_announced": "anuncio",
        "timeline_approx_note": "≈ el hecho no tiene fecha en las fuentes; se muestra la de publicación.",
        "footer_review": "Revisa el registro completo de cambios en",
        "footer_stop": (
            "Para dejar de recibir estos correos, responde a este mensaje pidiendo la baja "
            "o escribe a quien administra casewatch."
        ),
        "footer_untrusted": (
            "Títulos, resúmenes y enlaces provienen de sitios externos; verifica en la fuente original."
        ),
    },
    "en": {
        "brand": "casewatch",
        "no_changes": "no changes",
        "several_cases": "{n} cases",
        "greeting": "Hello {name},",
        "greeting_anon": "Hello,",
        "intro": "These are the changes detected in the sources we watch.",
        "period": "Period",
        "generated": "Generated",
        "times_note": "Times are Lima time (America/Lima).",
        "source": "Source",
        "kind": "Change",
        "published": "Published",
        "detected": "Detected",
        "cases": "Cases",
        "matched_terms": "Matched terms",
        "score": "score",
        "milestones": "Milestones",
        "summary": "Summary",
        "diff": "What changed",
        "link": "Link",
        "untitled": "(untitled)",
        "unsafe_link": "(unsafe link, not shown as a link)",
        "more_lines": "… {n} more lines",
        "more_lines_one": "… 1 more line",
        "empty": "No changes were detected in this period.",
        "footer_why": "You receive this email because {email} is subscribed to casewatch digests about: {cases}.",
        "footer_sources": "casewatch watches {n} public sources.",
        "health_title": "Source health",
        "health_intro": "These sources could not be read properly in the latest attempts; what they published "
                        "may be missing from this digest. The casewatch maintainers have been alerted.",
        "health_since": "since",
        "also_reported": "Also reported by",
        "timeline_title": "Case status",
        "timeline_intro": "Latest steps, in the order they happened:",
        "timeline_sources": "Sources",
        "timeline_announced": "announced",
        "timeline_approx_note": "≈ the sources give no date for the event; the publication date is shown.",
        "footer_review": "Review the full change log at",
        "footer_stop": (
            "To stop receiving these emails, reply to this message asking to unsubscribe "
            "or write to whoever runs casewatch."
        ),
        "footer_untrusted": "Titles, summaries and links come from external sites; check the original source.",
    },
}


def language(lang: str) -> str:
    """Fall back to Spanish for anything we have no words for."""
    return lang if lang in LANGUAGES else DEFAULT_LANGUAGE


def text(lang: str, key: str, **values: object) -> str:
    """A phrase in `lang` with placeholders filled (values are trusted by the caller to be clean)."""
    phrase = TEXTS[language(lang)][key]
    return phrase.format(**values) if values else phrase


def kind_label(lang: str, kind: str) -> str:
    """Badge label for a change kind; unknown kinds show as themselves."""
    return KIND_LABELS[language(lang)].get(kind, kind)


def section_label(lang: str, kind: str) -> str:
    """Heading for a group of changes of one kind."""
    labels = SECTION_LABELS[language(lang)]
    return labels.get(kind, labels["other"])


def count_phrase(lang: str, kind: str, n: int) -> str:
    """'2 nuevos' / '1 updated' for the subject line."""
    words = COUNT_WORDS[language(lang)]
    singular, plural = words.get(kind, words["other"])
    return f"{n} {singular if n == 1 else plural}"


def milestone_label(lang: str, type_: str, fallback: str = "") -> str:
    """Label from the controlled list; the stored label only for types we do not know."""
    return MILESTONE_LABELS[language(lang)].get(type_, fallback or type_)
