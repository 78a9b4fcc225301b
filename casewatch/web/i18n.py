"""Every word the review page shows, in Spanish (first) and English: its readers (families, lawyers,
Peruvian NGOs, journalists) read Spanish first, international observers English.

The language of a request is chosen by ``negotiate``: ``?lang=es|en`` (remembered in the ``casewatch_lang``
cookie, SameSite=Lax, set by ``LanguageMiddleware``), else the cookie, else ``Accept-Language``, else
Spanish. Templates call ``t("key", name=value)``; a key missing from the catalogue raises
``MissingMessage`` (a bug, like ``StrictUndefined``), and tests/web/test_i18n.py checks that both
catalogues have the same keys. Phrases are plain text: the templates escape them, placeholders included,
so scraped values can be put into a phrase safely. Milestone and change-kind names come from
``alerts.labels`` (the digests' words). Scraped content is never translated.
"""

from __future__ import annotations

from collections.abc import Callable
from http.cookies import CookieError, SimpleCookie
from urllib.parse import parse_qsl

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from alerts import labels

LANGUAGES = ("es", "en")
DEFAULT_LANGUAGE = "es"
COOKIE = "casewatch_lang"
COOKIE_MAX_AGE = 365 * 24 * 60 * 60

MESSAGES: dict[str, dict[str, str]] = {
    "es": {
        # layout
        "nav_changes": "Registro de cambios",
        "nav_timeline": "Cronología",
        "nav_outbox": "Bandeja de salida",
        "nav_languages": "Idioma",
        "reviewer": "Revisor/a:",
        "log_out": "Cerrar sesión",
        "log_in_to_review": "Iniciar sesión para revisar",
        "read_only": "solo lectura",
        "read_only_title": "configura CASEWATCH_REVIEWERS para activar las acciones de revisión",
        "footer": "Horas de Lima (America/Lima). Títulos, textos y enlaces provienen de sitios externos: verifica "
                  "en la fuente original.",
        "feed_link_title": "{name} (Atom)",
        # dashboard
        "dashboard": "Panel",
        "stat_recent": "cambios en los últimos 7 días",
        "stat_recent_relevant": "relevantes en los últimos 7 días",
        "stat_pending": "cambios relevantes por revisar",
        "notice_no_reviewers": "Las acciones de revisión están desactivadas: no hay revisores configurados. Define "
                               "estas variables en el entorno de casewatch serve:",
        "sources": "Fuentes",
        "col_source": "Fuente",
        "col_kind": "Tipo",
        "col_health": "Estado",
        "col_last_run": "Última revisión",
        "col_found": "Encontrado",
        "disabled": "desactivada",
        "never_run": "nunca revisada",
        "items_one": "1 elemento",
        "items_many": "{n} elementos",
        "latest_relevant": "Últimos cambios relevantes",
        "no_relevant_yet": "Todavía no hay cambios relevantes.",
        "feeds": "Feeds:",
        # change log
        "change_log": "Registro de cambios",
        "filter_case": "Caso",
        "filter_source": "Fuente",
        "filter_source_kind": "Tipo de fuente",
        "filter_kind": "Cambio",
        "filter_milestone": "Hito",
        "filter_review": "Revisión",
        "filter_from": "Desde",
        "filter_to": "Hasta",
        "filter_text": "Texto",
        "filter_text_placeholder": "palabras del título o del resumen",
        "filter_relevant": "solo relevantes",
        "filter_any": "cualquiera",
        "filter_submit": "Filtrar",
        "filter_reset": "Limpiar",
        "count_one": "1 cambio",
        "count_many": "{n} cambios",
        "col_detected": "Detectado",
        "col_change": "Cambio",
        "col_title": "Título",
        "col_relevance": "Relevancia",
        "col_review": "Revisión",
        "no_match": "Ningún cambio coincide con estos filtros.",
        # pagination
        "pages": "páginas",
        "newer": "← Más recientes",
        "older": "Más antiguos →",
        "page_of": "Página {page} de {pages} · {first}–{last} de {total}",
        # one change
        "change_title": "Cambio {id}",
        "crumb_change": "cambio {id}",
        "page": "Página",
        "source": "Fuente",
        "detected": "Detectado",
        "published": "Publicado",
        "relevance": "Relevancia",
        "milestones": "Hitos",
        "related_cases": "Casos relacionados",
        "review": "Revisión",
        "not_reviewed": "sin revisar",
        "document": "Documento",
        "document_history": "historial completo de este documento",
        "document_marked": "documento marcado: {state}",
        "withdrawn": "Retirado",
        "also_reported": "También lo informaron",
        "what_changed": "Qué cambió",
        "inline": "En línea",
        "side_by_side": "Lado a lado",
        "summary": "Resumen",
        "versions": "Versiones",
        "before": "Antes",
        "after": "Después",
        "version": "Versión",
        "raw_body_link": "cuerpo original",
        "fetched_at": "Descargado el",
        "sha_text": "SHA-256 (texto)",
        "sha_body": "SHA-256 (cuerpo)",
        "http_status": "Estado HTTP",
        "fetched_from": "Descargado de",
        "none_new": "ninguna: el documento era nuevo",
        "none_removed": "ninguna: el documento fue eliminado",
        "review_by": "{action} por {actor}",
        "note": "Nota",
        "note_placeholder": "por qué (opcional)",
        "mark_reviewed": "Marcar revisado",
        "mark_irrelevant": "Marcar irrelevante",
        "reopen": "Reabrir",
        "irrelevant_help": "«Irrelevante» saca este cambio de los resúmenes, los feeds y la cronología, y guarda los "
                           "cambios posteriores de este documento como no relevantes hasta que alguien lo reabra.",
        "log_in_to_review_change": "Inicia sesión para revisar este cambio",
        "review_disabled": "Las acciones de revisión están desactivadas: no hay revisores configurados "
                           "(CASEWATCH_REVIEWERS).",
        "more_lines": "… {n} líneas más",
        # relevance explanation
        "why_irrelevant": "No relevante: marcado irrelevante por un revisor",
        "why_irrelevant_terms": "No relevante: marcado irrelevante por un revisor (el clasificador había encontrado: "
                                "{terms})",
        "why_relevant": "Relevante para {cases}",
        "why_relevant_terms": "Relevante para {cases}: {terms}",
        "why_case_score": "{case} (puntaje {score})",
        "why_not_relevant": "No relevante (puntaje {score})",
        "why_not_relevant_terms": "No relevante (puntaje {score}); términos encontrados: {terms}",
        # document and version
        "document_title": "Documento {id}",
        "crumb_document": "documento {id}",
        "state": "Estado",
        "pinned": "fijado",
        "first_seen": "Visto por primera vez",
        "last_checked": "Última revisión",
        "reviewer_override": "Decisión de revisor",
        "override_note": "los cambios posteriores se guardan como no relevantes",
        "changes": "Cambios",
        "withdrawn_at": "retirado el {when}",
        "col_raw": "Original",
        "pruned": "depurado",
        "pruned_at": "depurado el {when}",
        "download": "descargar",
        "version_title": "Versión {id}",
        "crumb_version": "versión {id}",
        "raw_body": "Cuerpo original",
        "response_headers": "Cabeceras de la respuesta",
        "stored_text": "Texto guardado",
        # timeline
        "timeline": "Cronología",
        "timeline_title": "Cronología del caso",
        "timeline_intro": "Pasos legales en el orden en que ocurrieron (fecha del hecho), cada uno una vez con todas "
                          "las fuentes que lo informaron. ~ marca un paso sin fecha en las fuentes: se muestra su "
                          "fecha de publicación.",
        "steps_one": "1 paso",
        "steps_many": "{n} pasos",
        "announced": "anunciado",
        "step_taken": "tomado",
        "step_primary": "paso principal",
        "republished": "re-publicado",
        "no_steps": "Todavía no se encontraron pasos legales.",
        # outbox
        "outbox": "Bandeja de salida",
        "outbox_intro": "Cada resumen y alerta, guardado antes de enviarse; «enviado» cuando el servidor de correo "
                        "(o la carpeta de salida) lo aceptó.",
        "col_created": "Creado",
        "col_to": "Para",
        "col_subject": "Asunto",
        "col_state": "Estado",
        "col_tries": "Intentos",
        "next_attempt": "próximo intento {when}",
        "outbox_empty": "La bandeja de salida está vacía.",
        "outbox_item_title": "Mensaje {id}",
        "crumb_message": "mensaje {id}",
        "to": "Para",
        "kind": "Tipo",
        "period": "periodo {period}",
        "tries": "{n} intentos",
        "sent_at": "enviado el {when}",
        "last_error": "Último error",
        "text_body": "Texto del mensaje",
        # login
        "log_in": "Iniciar sesión",
        "login_title": "Acceso de revisores",
        "no_reviewers_short": "No hay revisores configurados, así que las acciones de revisión están desactivadas.",
        "operator_enables": "Quien administra casewatch las activa en el entorno de casewatch serve:",
        "name": "Nombre",
        "token": "Token",
        "example_token": "un-token-largo-y-aleatorio",
        "example_token_hash": "sha256 hex de su token",
        "example_secret": "al menos 16 caracteres aleatorios",
        "unsafe_link_title": "no es un enlace http(s): se muestra como texto",
        # errors and notices
        "error_title": "Error {status}",
        "back_to_dashboard": "Volver al panel",
        "err_not_found": "Esa página no existe.",
        "err_method": "Método no permitido.",
        "err_generic": "No se pudo atender la solicitud.",
        "err_bad_date": "{name}: se esperaba una fecha como 2026-11-27, llegó {value}",
        "err_bad_number": "{name}: se esperaba un número, llegó {value}",
        "err_out_of_range": "{name}: {value} está fuera de rango",
        "err_no_change": "No hay ningún cambio con id {id}.",
        "err_no_document": "No hay ningún documento con id {id}.",
        "err_no_version": "No hay ninguna versión con id {id}.",
        "err_no_case": "No hay ningún caso {case}.",
        "err_no_message": "No hay ningún mensaje en la bandeja de salida con id {id}.",
        "err_pruned": "El cuerpo original de esta versión se depuró según la política de conservación; su SHA-256 "
                      "era {sha}.",
        "err_unknown_action": "Acción de revisión desconocida; usa una de {actions}.",
        "err_outbox_reviewers": "La bandeja de salida nombra a los destinatarios de los resúmenes, así que solo la "
                                "ven los revisores. {no_reviewers}",
        "err_throttled": ("Token incorrecto, y van demasiados intentos fallidos: espera {seconds} s antes de "
                          "volver a intentarlo."),
        "err_wrong_login": "Revisor desconocido o token incorrecto.",
        "err_foreign_origin": "Rechazado: la solicitud no vino de este sitio.",
        "err_form_size": "Rechazado: un formulario debe indicar su tamaño y tener como máximo {max} bytes.",
        "err_csrf": "Rechazado: falta el token del formulario (CSRF) o no es válido. Recarga la página e inténtalo "
                    "de nuevo.",
        "err_log_in": "Inicia sesión como revisor para hacer eso.",
        "no_reviewers": "No hay revisores configurados, así que las acciones de revisión están desactivadas. Quien "
                        "administra casewatch define CASEWATCH_REVIEWERS=nombre:token[,nombre:token...] (y "
                        "CASEWATCH_SECRET_KEY) en el entorno de `casewatch serve`.",
        "flash_review": "Cambio {id} {done}.",
        "done_reviewed": "marcado como revisado",
        "done_irrelevant": "marcado como irrelevante",
        "done_reopened": "reabierto",
        "flash_logged_in": "Sesión iniciada como {name}.",
        # Atom feed
        "feed_subtitle": "Cambios relevantes en las fuentes que vigila casewatch",
        # values shown as words: review states and actions, run states, health, documents, outbox
        "review.pending": "pendiente",
        "review.reviewed": "revisado",
        "review.irrelevant": "irrelevante",
        "action.reviewed": "revisado",
        "action.irrelevant": "irrelevante",
        "action.reopened": "reabierto",
        "run.running": "en curso",
        "run.ok": "ok",
        "run.partial": "parcial",
        "run.failed": "fallida",
        "run.empty": "vacía",
        "run.cancelled": "cancelada",
        "source_kind.prosecutor": "fiscalía",
        "source_kind.court": "poder judicial",
        "source_kind.congress": "congreso",
        "source_kind.gazette": "diario oficial",
        "source_kind.iachr": "CIDH",
        "source_kind.un": "ONU",
        "source_kind.ombudsman": "defensoría",
        "source_kind.ngo": "ONG",
        "source_kind.news": "prensa",
        "source_kind.aggregator": "agregador",
        "health.healthy": "funciona",
        "health.unhealthy": "con fallas",
        "doc.active": "activo",
        "doc.removed": "eliminado",
        "digest.digest": "resumen",
        "digest.immediate": "alerta inmediata",
        "digest.health": "estado de fuentes",
        "digest.quiet": "sin novedades",
        "status.pending": "pendiente",
        "status.sending": "enviando",
        "status.sent": "enviado",
        # unsubscribe (casewatch/web/unsubscribe.py): the link in every email
        "unsub_title": "Darse de baja",
        "unsub_question": "¿Dejar de recibir los correos de casewatch en {email}?",
        "unsub_explain": "Ya no recibirás resúmenes ni alertas de casewatch en esta dirección. Para volver a "
                         "recibirlos, pide a quien administra casewatch que te suscriba de nuevo.",
        "unsub_button": "Darme de baja",
        "unsub_done": "Listo: {email} ya no recibirá correos de casewatch.",
        "unsub_already": "{email} ya se dio de baja y no recibe correos de casewatch.",
        "err_unsub_link": "Este enlace para darse de baja no es válido (incompleto, alterado o ya no vigente). Usa "
                          "el enlace del correo más reciente o escribe a quien administra casewatch.",
    },
    "en": {
        "nav_changes": "Change log",
        "nav_timeline": "Timeline",
        "nav_outbox": "Outbox",
        "nav_languages": "Language",
        "reviewer": "Reviewer:",
        "log_out": "Log out",
        "log_in_to_review": "Log in to review",
        "read_only": "read-only",
        "read_only_title": "set CASEWATCH_REVIEWERS to enable review actions",
        "footer": "Times are Lima time (America/Lima). Titles, texts and links come from external sites: check the "
                  "original source.",
        "feed_link_title": "{name} (Atom)",
        "dashboard": "Dashboard",
        "stat_recent": "changes in the last 7 days",
        "stat_recent_relevant": "relevant in the last 7 days",
        "stat_pending": "relevant changes waiting for review",
        "notice_no_reviewers": "Review actions are disabled: no reviewers are configured. Set these in the "
                               "environment of casewatch serve:",
        "sources": "Sources",
        "col_source": "Source",
        "col_kind": "Kind",
        "col_health": "Health",
        "col_last_run": "Last run",
        "col_found": "Found",
        "disabled": "disabled",
        "never_run": "never run",
        "items_one": "1 item",
        "items_many": "{n} items",
        "latest_relevant": "Latest relevant changes",
        "no_relevant_yet": "No relevant change yet.",
        "feeds": "Feeds:",
        "change_log": "Change log",
        "filter_case": "Case",
        "filter_source": "Source",
        "filter_source_kind": "Source kind",
        "filter_kind": "Change",
        "filter_milestone": "Milestone",
        "filter_review": "Review",
        "filter_from": "From",
        "filter_to": "To",
        "filter_text": "Text",
        "filter_text_placeholder": "words in the title or summary",
        "filter_relevant": "relevant only",
        "filter_any": "any",
        "filter_submit": "Filter",
        "filter_reset": "Reset",
        "count_one": "1 change",
        "count_many": "{n} changes",
        "col_detected": "Detected",
        "col_change": "Change",
        "col_title": "Title",
        "col_relevance": "Relevance",
        "col_review": "Review",
        "no_match": "No changes match these filters.",
        "pages": "pages",
        "newer": "← Newer",
        "older": "Older →",
        "page_of": "Page {page} of {pages} · {first}–{last} of {total}",
        "change_title": "Change {id}",
        "crumb_change": "change {id}",
        "page": "Page",
        "source": "Source",
        "detected": "Detected",
        "published": "Published",
        "relevance": "Relevance",
        "milestones": "Milestones",
        "related_cases": "Related cases",
        "review": "Review",
        "not_reviewed": "not reviewed",
        "document": "Document",
        "document_history": "full history of this document",
        "document_marked": "document marked {state}",
        "withdrawn": "Withdrawn",
        "also_reported": "Also reported by",
        "what_changed": "What changed",
        "inline": "Inline",
        "side_by_side": "Side by side",
        "summary": "Summary",
        "versions": "Versions",
        "before": "Before",
        "after": "After",
        "version": "Version",
        "raw_body_link": "raw body",
        "fetched_at": "Fetched at",
        "sha_text": "SHA-256 (text)",
        "sha_body": "SHA-256 (body)",
        "http_status": "HTTP status",
        "fetched_from": "Fetched from",
        "none_new": "none: the document was new",
        "none_removed": "none: the document was removed",
        "review_by": "{action} by {actor}",
        "note": "Note",
        "note_placeholder": "why (optional)",
        "mark_reviewed": "Mark reviewed",
        "mark_irrelevant": "Mark irrelevant",
        "reopen": "Reopen",
        "irrelevant_help": "“Irrelevant” takes this change out of digests, feeds and the timeline, and stores later "
                           "changes of this document as not relevant until someone reopens it.",
        "log_in_to_review_change": "Log in to review this change",
        "review_disabled": "Review actions are disabled: no reviewers are configured (CASEWATCH_REVIEWERS).",
        "more_lines": "… {n} more lines",
        "why_irrelevant": "Not relevant: marked irrelevant by a reviewer",
        "why_irrelevant_terms": "Not relevant: marked irrelevant by a reviewer (the classifier had matched: {terms})",
        "why_relevant": "Relevant to {cases}",
        "why_relevant_terms": "Relevant to {cases}: {terms}",
        "why_case_score": "{case} (score {score})",
        "why_not_relevant": "Not relevant (score {score})",
        "why_not_relevant_terms": "Not relevant (score {score}); terms found: {terms}",
        "document_title": "Document {id}",
        "crumb_document": "document {id}",
        "state": "State",
        "pinned": "pinned",
        "first_seen": "First seen",
        "last_checked": "Last checked",
        "reviewer_override": "Reviewer override",
        "override_note": "later changes are stored as not relevant",
        "changes": "Changes",
        "withdrawn_at": "withdrawn {when}",
        "col_raw": "Raw",
        "pruned": "pruned",
        "pruned_at": "pruned {when}",
        "download": "download",
        "version_title": "Version {id}",
        "crumb_version": "version {id}",
        "raw_body": "Raw body",
        "response_headers": "Response headers",
        "stored_text": "Stored text",
        "timeline": "Timeline",
        "timeline_title": "Case timeline",
        "timeline_intro": "Legal steps in the order they happened (event date), each once with every source that "
                          "reported it. ~ marks a step the sources gave no date for: its publication date is shown.",
        "steps_one": "1 step",
        "steps_many": "{n} steps",
        "announced": "announced",
        "step_taken": "taken",
        "step_primary": "main step",
        "republished": "re-published",
        "no_steps": "No legal steps found yet.",
        "outbox": "Outbox",
        "outbox_intro": "Every digest and alert, stored before it is sent; “sent” once the mail server (or the "
                        "outbox folder) accepted it.",
        "col_created": "Created",
        "col_to": "To",
        "col_subject": "Subject",
        "col_state": "State",
        "col_tries": "Tries",
        "next_attempt": "next {when}",
        "outbox_empty": "The outbox is empty.",
        "outbox_item_title": "Outbox {id}",
        "crumb_message": "message {id}",
        "to": "To",
        "kind": "Kind",
        "period": "period {period}",
        "tries": "{n} tries",
        "sent_at": "sent {when}",
        "last_error": "Last error",
        "text_body": "Text body",
        "log_in": "Log in",
        "login_title": "Reviewer login",
        "no_reviewers_short": "No reviewers are configured, so review actions are disabled.",
        "operator_enables": "The operator enables them in the environment of casewatch serve:",
        "name": "Name",
        "token": "Token",
        "example_token": "a-long-random-token",
        "example_token_hash": "sha256 hex of their token",
        "example_secret": "at least 16 random characters",
        "unsafe_link_title": "not an http(s) link: shown as text",
        "error_title": "Error {status}",
        "back_to_dashboard": "Back to the dashboard",
        "err_not_found": "There is no such page.",
        "err_method": "Method not allowed.",
        "err_generic": "The request could not be served.",
        "err_bad_date": "{name}: expected a date like 2026-11-27, got {value}",
        "err_bad_number": "{name}: expected a number, got {value}",
        "err_out_of_range": "{name}: {value} is out of range",
        "err_no_change": "No change with id {id}.",
        "err_no_document": "No document with id {id}.",
        "err_no_version": "No version with id {id}.",
        "err_no_case": "No case {case}.",
        "err_no_message": "No outbox message with id {id}.",
        "err_pruned": "The raw body of this version was pruned under the retention policy; its SHA-256 was {sha}.",
        "err_unknown_action": "Unknown review action; use one of {actions}.",
        "err_outbox_reviewers": "The outbox names the digests' recipients, so only reviewers see it. {no_reviewers}",
        "err_throttled": "Wrong token, after too many failed logins: wait {seconds} s before trying again.",
        "err_wrong_login": "Unknown reviewer or wrong token.",
        "err_foreign_origin": "Refused: the request did not come from this site.",
        "err_form_size": "Refused: a form must say its length and be at most {max} bytes.",
        "err_csrf": "Refused: missing or invalid form token (CSRF). Reload the page and try again.",
        "err_log_in": "Log in as a reviewer to do that.",
        "no_reviewers": "No reviewers are configured, so review actions are disabled. The operator sets "
                        "CASEWATCH_REVIEWERS=name:token[,name:token...] (and CASEWATCH_SECRET_KEY) in the "
                        "environment of `casewatch serve`.",
        "flash_review": "Change {id} {done}.",
        "done_reviewed": "marked reviewed",
        "done_irrelevant": "marked irrelevant",
        "done_reopened": "reopened",
        "flash_logged_in": "Logged in as {name}.",
        "feed_subtitle": "Relevant changes in the sources casewatch watches",
        "review.pending": "pending",
        "review.reviewed": "reviewed",
        "review.irrelevant": "irrelevant",
        "action.reviewed": "reviewed",
        "action.irrelevant": "irrelevant",
        "action.reopened": "reopened",
        "run.running": "running",
        "run.ok": "ok",
        "run.partial": "partial",
        "run.failed": "failed",
        "run.empty": "empty",
        "run.cancelled": "cancelled",
        "source_kind.prosecutor": "prosecutor",
        "source_kind.court": "court",
        "source_kind.congress": "Congress",
        "source_kind.gazette": "official gazette",
        "source_kind.iachr": "IACHR",
        "source_kind.un": "UN",
        "source_kind.ombudsman": "ombudsman",
        "source_kind.ngo": "NGO",
        "source_kind.news": "news",
        "source_kind.aggregator": "aggregator",
        "health.healthy": "healthy",
        "health.unhealthy": "unhealthy",
        "doc.active": "active",
        "doc.removed": "removed",
        "digest.digest": "digest",
        "digest.immediate": "immediate alert",
        "digest.health": "source health",
        "digest.quiet": "quiet week",
        "status.pending": "pending",
        "status.sending": "sending",
        "status.sent": "sent",
        # unsubscribe (casewatch/web/unsubscribe.py): the link in every email
        "unsub_title": "Unsubscribe",
        "unsub_question": "Stop receiving casewatch emails at {email}?",
        "unsub_explain": "You will get no more casewatch digests or alerts at this address. To get them again, ask "
                         "whoever runs casewatch to subscribe you again.",
        "unsub_button": "Unsubscribe me",
        "unsub_done": "Done: {email} will get no more casewatch emails.",
        "unsub_already": "{email} has unsubscribed and gets no casewatch emails.",
        "err_unsub_link": "This unsubscribe link is not valid (incomplete, altered or no longer in use). Use the "
                          "link in the latest email or write to whoever runs casewatch.",
    },
}


class MissingMessage(KeyError):
    """A phrase the catalogue lacks: a bug, so the page fails loudly instead of showing a key."""


def language(lang: str | None) -> str:
    """One of LANGUAGES; anything else is Spanish."""
    return lang if lang in LANGUAGES else DEFAULT_LANGUAGE


def text(lang: str, key: str, **values: object) -> str:
    """The phrase ``key`` in ``lang`` with its placeholders filled (plain text: the caller escapes it)."""
    try:
        phrase = MESSAGES[language(lang)][key]
    except KeyError:
        raise MissingMessage(f"no {lang!r} message {key!r} in casewatch/web/i18n.py") from None
    return phrase.format(**values) if values else phrase


def word(lang: str, group: str, value: str | None) -> str:
    """A stored value (a review state, a run status...) as a word; values we have no word for show as
    themselves, so a new state in the database never breaks a page."""
    if not value:
        return ""
    return MESSAGES[language(lang)].get(f"{group}.{value}", value)


def translator(lang: str) -> Callable[..., str]:
    """``t(key, **values)`` bound to one language, for the templates."""
    def t(key: str, **values: object) -> str:
        return text(lang, key, **values)
    return t


def kind_label(lang: str, kind: str) -> str:
    """A change kind as the digests name it (Nuevo/New...)."""
    return labels.kind_label(language(lang), kind)


def count_phrase(lang: str, kind: str, n: int) -> str:
    """'1 eliminado' / '2 eliminados' / '3 removed', agreeing in Spanish, as the digests' subject lines."""
    return labels.count_phrase(language(lang), kind, n)


def milestone_label(lang: str, type_: str, fallback: str = "") -> str:
    """A milestone as the digests name it."""
    return labels.milestone_label(language(lang), type_, fallback)


def accepted(header: str | None) -> str | None:
    """The first of our languages in an ``Accept-Language`` header, by q-value (ties: header order)."""
    ranked: list[tuple[float, int, str]] = []
    for position, item in enumerate((header or "")[:1000].split(",")):
        tag, *params = [part.strip() for part in item.split(";")]
        primary = tag.split("-")[0].lower()
        quality = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if primary in LANGUAGES and quality > 0:
            ranked.append((-quality, position, primary))
    return min(ranked)[2] if ranked else None


def negotiate(query_lang: str | None, cookie_lang: str | None, accept_language: str | None) -> str:
    """?lang, else the remembered choice, else the browser's preference, else Spanish."""
    for candidate in (query_lang, cookie_lang):
        if candidate in LANGUAGES:
            return candidate
    return accepted(accept_language) or DEFAULT_LANGUAGE


class LanguageMiddleware:
    """Puts the request's language in ``scope["state"]["lang"]`` and, when ``?lang=`` chose one on a page
    (not the JSON API, whose ``lang`` only names the labels of one answer), remembers it in a cookie.

    Choosing a language is a GET that sets a preference, like following a link; it changes no data.
    """

    def __init__(self, app: ASGIApp, *, https_only: bool = False):
        self.app = app
        self.https_only = https_only

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        query = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1")))
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        cookie: SimpleCookie = SimpleCookie()
        try:
            cookie.load(headers.get("cookie", ""))
        except CookieError:  # a malformed Cookie header just means no remembered choice
            cookie = SimpleCookie()
        remembered = cookie[COOKIE].value if COOKIE in cookie else None
        chosen = query.get("lang")
        lang = negotiate(chosen, remembered, headers.get("accept-language"))
        scope.setdefault("state", {})["lang"] = lang
        remember = chosen in LANGUAGES and chosen != remembered and not scope.get("path", "").startswith("/api/")

        async def send_with_cookie(message: Message) -> None:
            if remember and message["type"] == "http.response.start":
                out = MutableHeaders(scope=message)
                secure = "; Secure" if self.https_only else ""
                out.append("set-cookie", f"{COOKIE}={chosen}; Path=/; Max-Age={COOKIE_MAX_AGE}; SameSite=Lax; "
                                         f"HttpOnly{secure}")
            await send(message)

        await self.app(scope, receive, send_with_cookie)
