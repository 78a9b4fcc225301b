"""Every word the digest shows, in Spanish (first) and English, in one place.

Translators edit this module only; templates and the subject line look labels up here.
"""

from __future__ import annotations

LANGUAGES = ("es", "en")
DEFAULT_LANGUAGE = "es"

# Order of sections in a digest: what appeared first, then what moved, then what vanished.
# ``alternating`` is not stored: it is a document whose changes in the digest went back and forth
# between stored versions (``reverted``), shown once (alerts.render.collapse_alternating).
KIND_ORDER = ("new", "updated", "alternating", "reverted", "removed", "restored")

KIND_LABELS: dict[str, dict[str, str]] = {
    "es": {"new": "Nuevo", "updated": "Actualizado", "reverted": "Volvió a una versión anterior",
           "alternating": "Alterna entre versiones", "removed": "Eliminado", "restored": "Restaurado"},
    "en": {"new": "New", "updated": "Updated", "reverted": "Back to an earlier version",
           "alternating": "Alternating between versions", "removed": "Removed", "restored": "Restored"},
}

# The digest's sections, top to bottom: where the case stands (timeline), what moved legally (by
# institution), edits and removals of pages already watched, then everything newly published.
SECTION_LABELS: dict[str, dict[str, str]] = {
    "es": {
        "legal": "Avances legales por institución",
        "changed": "Documentos modificados",
        "news": "Noticias y documentos nuevos",
        "already_sent": "Ya enviados como alerta inmediata",
    },
    "en": {
        "legal": "Legal progress by institution",
        "changed": "Changed documents",
        "news": "News and new documents",
        "already_sent": "Already sent as immediate alerts",
    },
}

# Institutions that act in a case, in the order the "legal progress" section lists them.
INSTITUTION_ORDER = ("prosecutor", "judiciary", "congress", "iachr", "ombudsman", "constitutional_court", "other")

INSTITUTION_LABELS: dict[str, dict[str, str]] = {
    "es": {
        "prosecutor": "Fiscalía / Ministerio Público",
        "judiciary": "Poder Judicial",
        "congress": "Congreso",
        "iachr": "CIDH",
        "ombudsman": "Defensoría del Pueblo",
        "constitutional_court": "Tribunal Constitucional",
        "other": "Otras instituciones",
    },
    "en": {
        "prosecutor": "Prosecutor's Office (Fiscalía / Ministerio Público)",
        "judiciary": "Judiciary (Poder Judicial)",
        "congress": "Congress",
        "iachr": "IACHR (CIDH)",
        "ombudsman": "Ombudsman's Office (Defensoría del Pueblo)",
        "constitutional_court": "Constitutional Court (Tribunal Constitucional)",
        "other": "Other institutions",
    },
}

# Subject-line counts: (singular, plural). Spanish agrees with "documento" (masculine).
COUNT_WORDS: dict[str, dict[str, tuple[str, str]]] = {
    "es": {
        "new": ("nuevo", "nuevos"),
        "updated": ("actualizado", "actualizados"),
        "removed": ("eliminado", "eliminados"),
        "restored": ("restaurado", "restaurados"),
        "reverted": ("revertido", "revertidos"),
        "alternating": ("alternante", "alternantes"),
        "other": ("otro", "otros"),
    },
    "en": {
        "new": ("new", "new"),
        "updated": ("updated", "updated"),
        "removed": ("removed", "removed"),
        "restored": ("restored", "restored"),
        "reverted": ("reverted", "reverted"),
        "alternating": ("alternating", "alternating"),
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
        "subject_nothing": "Sin cambios",
        "subject_more": "+{n} más",
        "new_steps_title": "Pasos legales nuevos",
        "overview": "En este resumen: {parts}.",
        "overview_steps_one": "1 paso legal nuevo",
        "overview_steps_many": "{n} pasos legales nuevos",
        "overview_changed_one": "1 documento modificado",
        "overview_changed_many": "{n} documentos modificados",
        "overview_other_one": "1 noticia o documento nuevo",
        "overview_other_many": "{n} noticias o documentos nuevos",
        "changed_words": "Cambió",
        "health_empty": "Las últimas {n} revisiones no encontraron publicaciones (el sitio puede haber cambiado).",
        "health_failed": "Las últimas {n} revisiones fallaron (el sitio no respondió o dio un error).",
        "health_mixed": "Las últimas {n} revisiones fallaron o no encontraron publicaciones.",
        "health_unknown": "No se pudo leer en las últimas revisiones.",
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
        "headline_only": "solo el titular: no se pudo abrir el artículo",
        "timeline_removed": "sus fuentes ya no lo publican",
        "timeline_title": "Estado del caso",
        "timeline_intro": "Últimos hitos, en el orden en que ocurrieron:",
        "timeline_sources": "Fuentes",
        "timeline_announced": "anuncio",
        "timeline_announced_title": "Anunciado, aún no ocurrido",
        "republished": "re-publicado",
        "timeline_approx_note": "≈ el hecho no tiene fecha en las fuentes; se muestra la de publicación.",
        "footer_review": "Revisa el registro completo de cambios en",
        "footer_stop": "Para dejar de recibir estos correos, escribe a quien administra casewatch.",
        "footer_unsubscribe": "Para dejar de recibir estos correos, date de baja aquí:",
        "footer_untrusted": (
            "Títulos, resúmenes y enlaces provienen de sitios externos; verifica en la fuente original."
        ),
        "alert": "Alerta",
        "intro_immediate": "Alerta inmediata: las fuentes informan un paso legal importante.",
        "legal_intro": "Pasos legales que informan las fuentes, agrupados por la institución que actúa.",
        "changed_intro": "Páginas que ya vigilábamos y que se editaron, se retiraron o volvieron a publicarse.",
        "news_intro": "Lo publicado por primera vez; una noticia que dieron varios medios aparece una sola vez.",
        "already_sent_intro": "Estos pasos ya te llegaron en una alerta inmediata; aquí solo se nombran.",
        "sent": "enviado",
        "actors": "Actores",
        "institution": "Institución",
        "full_diff": "Ver el cambio completo",
        "full_record": "Ver el registro del cambio",
        "sources_one": "{n} fuente",
        "sources_many": "{n} fuentes",
        "quiet_subject": "casewatch: sin novedades esta semana — vigilando {sources}",
        "quiet_title": "Sin novedades esta semana",
        "quiet_line": "Sin novedades — seguimos vigilando {sources}; última revisión: {when}.",
        "quiet_line_never": "Sin novedades — seguimos vigilando {sources}; todavía no terminó ninguna revisión.",
        "week_of": "semana del {day}",
        "quiet_explain": "En este periodo no se publicó, editó ni retiró ningún documento sobre {cases} "
                         "en las fuentes que vigilamos. Te escribiremos en cuanto algo se mueva.",
        "quiet_why": "Recibes este aviso porque pediste saber de nosotros también en las semanas sin novedades.",
        "the_case": "el caso",
        "alternating_two": "Alterna entre dos versiones",
        "alternating_many": "Alterna entre {n} versiones",
        "alternating_count": "{n} cambios en este periodo",
    },
    "en": {
        "brand": "casewatch",
        "subject_nothing": "No changes",
        "subject_more": "+{n} more",
        "new_steps_title": "New legal steps",
        "overview": "In this digest: {parts}.",
        "overview_steps_one": "1 new legal step",
        "overview_steps_many": "{n} new legal steps",
        "overview_changed_one": "1 changed document",
        "overview_changed_many": "{n} changed documents",
        "overview_other_one": "1 other new report",
        "overview_other_many": "{n} other new reports",
        "changed_words": "Changed",
        "health_empty": "The last {n} checks found no publications (the site may have changed).",
        "health_failed": "The last {n} checks failed (the site did not answer or returned an error).",
        "health_mixed": "The last {n} checks failed or found no publications.",
        "health_unknown": "It could not be read in the latest checks.",
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
        "headline_only": "headline only: the article could not be opened",
        "timeline_removed": "no longer published by its sources",
        "timeline_title": "Case status",
        "timeline_intro": "Latest steps, in the order they happened:",
        "timeline_sources": "Sources",
        "timeline_announced": "announced",
        "timeline_announced_title": "Announced, not taken yet",
        "republished": "re-published",
        "timeline_approx_note": "≈ the sources give no date for the event; the publication date is shown.",
        "footer_review": "Review the full change log at",
        "footer_stop": "To stop receiving these emails, write to whoever runs casewatch.",
        "footer_unsubscribe": "To stop receiving these emails, unsubscribe here:",
        "footer_untrusted": "Titles, summaries and links come from external sites; check the original source.",
        "alert": "Alert",
        "intro_immediate": "Immediate alert: the sources report a major legal step.",
        "legal_intro": "Legal steps the sources report, grouped by the institution that acts.",
        "changed_intro": "Pages we already watched that were edited, taken down or published again.",
        "news_intro": "What was published for the first time; a story several outlets ran is shown once.",
        "already_sent_intro": "You already received these steps in an immediate alert; they are only listed here.",
        "sent": "sent",
        "actors": "Actors",
        "institution": "Institution",
        "full_diff": "See the full diff",
        "full_record": "See this change in the log",
        "sources_one": "{n} source",
        "sources_many": "{n} sources",
        "quiet_subject": "casewatch: nothing new this week — watching {sources}",
        "quiet_title": "Nothing new this week",
        "quiet_line": "Nothing new — still watching {sources}, last checked {when}.",
        "quiet_line_never": "Nothing new — still watching {sources}; no check has finished yet.",
        "week_of": "week of {day}",
        "quiet_explain": "No document about {cases} was published, edited or taken down in the sources we "
                         "watch during this period. We will write as soon as something moves.",
        "quiet_why": "You get this note because you asked to hear from us in quiet weeks too.",
        "the_case": "the case",
        "alternating_two": "Alternating between two versions",
        "alternating_many": "Alternating between {n} versions",
        "alternating_count": "{n} changes in this period",
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
    """Heading of a digest section: 'legal', 'changed', 'news', 'already_sent', or a change kind, which
    names the section its changes appear in when they report no institution's step ('new' -> news,
    every other kind -> changed documents)."""
    labels = SECTION_LABELS[language(lang)]
    if kind in labels:
        return labels[kind]
    return labels["news"] if kind == "new" else labels["changed"]


def institution_label(lang: str, key: str) -> str:
    """Heading of an institution's group in the legal-progress section."""
    labels = INSTITUTION_LABELS[language(lang)]
    return labels.get(key, labels["other"])


def sources_phrase(lang: str, n: int) -> str:
    """'1 fuente' / '12 sources'."""
    return text(lang, "sources_one" if n == 1 else "sources_many", n=n)


def count_phrase(lang: str, kind: str, n: int) -> str:
    """'2 nuevos' / '1 updated' for the subject line."""
    words = COUNT_WORDS[language(lang)]
    singular, plural = words.get(kind, words["other"])
    return f"{n} {singular if n == 1 else plural}"


def milestone_label(lang: str, type_: str, fallback: str = "") -> str:
    """Label from the controlled list; the stored label only for types we do not know."""
    return MILESTONE_LABELS[language(lang)].get(type_, fallback or type_)


def alternating_phrases(lang: str, versions: int, changes: int) -> tuple[str, str]:
    """('Alterna entre dos versiones', '4 cambios en este periodo'): a page going back and forth between
    stored versions, shown once (digests and the change log)."""
    head = text(lang, "alternating_many", n=versions) if versions > 2 else text(lang, "alternating_two")
    return head, text(lang, "alternating_count", n=changes)
