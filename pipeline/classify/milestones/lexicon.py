"""The words the status rules of status.py are made of, by role (clause openers, prepositions,
verbs that are no action, requests, negations...), in Spanish and English, folded (no accents).

Lemmas ("pedir", "ask") are matched against simplemma's lemma of a word; the others against the word.
"""

from __future__ import annotations

import textkit


def words_of(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Clause openers: a step's governing verb is looked for only inside its own clause.
SUBORDINATORS = words_of(
    "que quien quienes cuyo cuya cuyos cuyas donde cuando mientras aunque pero sino porque si pues como "
    "which that who whom whose where when while although though but because whether if as")
QUESTIONS = words_of("que como cual cuales quien quienes cuando donde por what how why which who when")
CONDITIONAL_OPENERS = words_of("si whether if")
# A step inside a prepositional phrase is a circumstance of another action, not its object:
# "declaró en la investigación por esas muertes", "during the preliminary investigation".
PREPOSITIONS = words_of(
    "en durante sobre segun con desde hasta sin de del por para entre mediante in during about on over within "
    "with without since of for into from under amid at towards toward regarding al against contra by")
# "to"/"a" open a phrase only before an article ("se incorpora a la investigación"): "envió a juicio",
# "sent to trial" are the step.
PREPOSITIONS_BEFORE_ARTICLE = words_of("to a")
# Nouns that carry the step they are "of": "los resultados de la pericia", "la diligencia de incautación".
CARRIERS = words_of(
    "resultado resultados diligencia diligencias disposicion acta ampliacion conclusiones entrega realizacion "
    "practica results findings conclusions")
SKIP_BEFORE_NOUN = words_of(
    "el la los las un una unos unas su sus este esta estos estas ese esa dicha dicho the a an its their "
    "this that these those his her")
PURPOSE = words_of("para to")
CLAUSE_PUNCTUATION = (";", ":", "(", ")", "—", "–")
# Verbs that are no action on a step: "es el resultado de la investigación", "tiene abierta una
# investigación", "la investigación sigue sin responsables".
NOT_ACTIONS = words_of(
    "ser estar haber tener seguir continuar permanecer quedar existir mantener llevar recordar avanzar "
    "proseguir faltar cumplir afrontar enfrentar preceder be have remain continue exist keep stay recall "
    "lack face follow precede basar base incorporar sumar anexar adjuntar agregar add attach sustentar "
    "fundamentar apoyar rely concentrar centrar enfocar focus esperar aguardar wait await ofrecer offer")
# Verbs of a position taken on a step: what is welcomed or criticised is context, the position is the
# statement ("saluda la acusación", "welcomes start of first trial").
POSITIONS = words_of(
    "saludar criticar lamentar cuestionar repudiar temer welcome criticize criticise condemn deplore praise "
    "hail fear")
# A negated verb reports no step: "ningún policía ha declarado", "la fiscalía no ha formalizado".
NEGATIONS = words_of("no ningun ninguna ninguno nunca jamas tampoco not never no one nobody")
COORDINATION = words_of("y e o ni and or")
AUXILIARIES = words_of("haber have")
PASSIVE = words_of("ser be")
REQUEST_LEMMAS = words_of(
    "pedir exigir solicitar reclamar exhortar instar demandar requerir urgir clamar recomendar plantear ask demand "
    "request urge call seek recommend")
# A step rejected or denied did not happen: "rechazó la prisión preventiva" (an appeal rejected was
# decided, and rejecting is what a statement does: those two types keep the verb's status).
REJECTIONS = words_of("rechazar denegar desestimar negar reject deny dismiss refuse")
REJECTION_KEEPS = frozenset(("appeal", "statement", "ruling"))  # a court rejecting a motion rules on it
# Steps worded as a rejection ("dismissed the case", "desestimó la denuncia"): the verb is the step.
REJECTION_IS_STEP = frozenset(("archived",))
# A decision on an appeal is the appeal step ("declaró infundado el recurso de apelación").
DECIDED_BY_RULING = frozenset(("appeal",))
# Recap words that open a clause of their own ("tras", "después de (que)", "after"): a step that is its
# own verb inside one is the earlier step ("después de que la fiscalía acusara").
RECAP_OPENERS = words_of("tras despues luego de after following since desde")
# A trial that continues is under way (milestone guide: "juicio oral opened or under way").
ONGOING = frozenset(("trial",))
# Sessions in which someone is heard: "con la declaración de ..." in their sentence is a testimony given there.
SESSIONS = frozenset(("trial", "hearing"))
WITH = words_of("con with")
# Verbs that open an investigation: only they make "la investigación por las muertes" a step.
OPENING = words_of("abrir iniciar comenzar empezar aperturar reabrir reactivar disponer open launch start begin "
                   "initiate reopen")
COURT_HEADS = words_of("court courts chamber chambers panel judge judges")
SESSION_WORDS = words_of("sesion sesiones session sessions jornada")
# "ir a" + infinitive: a future ("vamos a presentar un amparo").
GOING = words_of("voy vas va vamos van iba ibamos iban")
# Commemorations: a statement only with demands (milestone guide: "a commemoration with demands").
# Held before an authority ("a vigil outside the court"), one is a position taken in public even so.
COMMEMORATIONS = words_of("vigilia vigilias romeria romerias homenaje homenajes misa misas vigil vigils tribute "
                          "tributes")
AUTHORITIES = words_of("court courthouse tribunal corte juzgado sala fiscalia prosecutor congress congreso palacio "
                       "palace ministry ministerio")
# Prepositions that open the phrase of someone the step is about: a participle after it describes that person.
OF_SOMEONE = words_of("contra")
UNDER_WAY = words_of("continuar proseguir seguir continue resume")
# Expert evidence (forensic) is taken when these verbs act on it: ordered, produced, delivered, received.
PRODUCING = words_of(
    "realizar practicar efectuar entregar remitir recibir concluir culminar terminar completar presentar "
    "emitir elaborar llevar exhumar determinar confirmar revelar establecer demostrar hallar encontrar "
    "disponer ordenar encargar coordinar iniciar ampliar incorporar obtener "
    "perform carry conduct deliver hand submit receive complete conclude finish present issue produce exhume "
    "determine confirm reveal establish show find order commission begin start obtain")
# Evidence and reports whose findings, told as their subject's verb, are the news ("Pericias confirman").
FINDING_STEPS = frozenset(("forensic", "report"))
FINDINGS = words_of(
    "confirmar concluir determinar revelar establecer demostrar acreditar confirm conclude find show reveal "
    "establish determine")
# Units a number measures (a sentence of "15 años", "18 meses" of a travel ban): no tally of steps.
UNITS = words_of("ano anos mes meses dia dias hora horas semana semanas voto votos soles year years month months "
                 "day days hour hours week weeks vote votes")
NUMBER_WORDS = words_of(
    "un una dos tres cuatro cinco seis siete ocho nueve diez once doce quince dieciocho veinte treinta "
    "one two three four five six seven eight nine ten eleven twelve fifteen eighteen twenty thirty")
# Right after a step noun: it has not happened yet ("las pericias aún pendientes").
PENDING = words_of("pendiente pendientes pending outstanding")
# Prepositions of time before a march or a communiqué: it dates something else ("durante una marcha").
CIRCUMSTANCE = words_of("durante tras desde antes during after since amid before")
# A quantity of none before a step noun: no such step ("cero sentencias", "ninguna acusación", "no charges").
NONE_OF = words_of("cero ninguna ninguno ningun sin zero no")
# Steps taken when held or set for a date (milestone guide: hearing): dated within DATED_WITHIN days before
# publication, or for a coming day, they are news wherever the text gives them.
DATED_STEPS = frozenset(("hearing",))
DATED_WITHIN = 14
# Verbs that set a hearing for a day: "programó la siguiente sesión para el 28 de abril" is news wherever it stands.
SETTING = words_of("programar reprogramar fijar señalar senalar set schedule reschedule")
# A hearing its sentence calls off ("se suspendió", "was postponed"): dated, it was not held (word beginnings) ...
CALLED_OFF = ("suspend", "aplaz", "postpon", "posterg", "frustr", "cancel")
# ... unless its sentence says it opened first, or the text gives it a new day (word beginnings).
OPENED_FIRST = ("instal", "inici", "began", "opened", "held", "realiz")
SET_ANEW = ("reprogram", "resched")
SET_DATE = words_of("set fixed fijo senalo programo")  # ... "set a new date", "fijó nueva fecha"
NEW_DATE = words_of("new nueva")
NOT_YET_SET = words_of("be been to will would")  # "a new date would be set": not yet
SINCE = words_of("since desde")  # a demand made since an earlier event: a standing one
# Steps an archiving in the same sentence closes: the archiving is the step.
ARCHIVED_OBJECTS = frozenset(("complaint", "constitutional_complaint", "preliminary_investigation"))
# Verbs of an appeals court deciding: what they confirm or revoke is the object of the appeal step.
APPELLATE = words_of(
    "confirmar revocar ratificar anular uphold overturn confirm revoke annul reverse")
# A court's decision on an appeal reported in the same sentence is the appeal decided ("declaró infundada la
# apelación", "la Sala confirmó la absolución"); a decision granting a measure or an extension is a ruling of
# its own besides the measure ("declaró fundado el requerimiento y dictó impedimento de salida").
RULING_IS = frozenset(("appeal",))
OF = words_of("de del of")
# Going somewhere to testify ("acudió a la Fiscalía para declarar") is testifying; so is a witness's verb.
ATTENDING = words_of("acudir llegar asistir comparecer concurrir attend appear arrive go come")
TESTIFYING = words_of("declarar testificar atestiguar testify")
# A court declaring a charge admissible rules on it ("declaró procedente la acusación").
ADMITTING = words_of("declarar admitir admit")
# Steps a charge worded as a verb ("prosecutors accuse", "acusan") is the wording of, when reported with it.
CHARGED_BY = ("formal_investigation", "constitutional_complaint")
REQUEST_NOUNS = words_of(
    "pedido pedidos exigencia exigencias solicitud llamado demandas pliego reclamos demand demands call request")
# A step named by the body that takes it ("la Subcomisión de Acusaciones Constitucionales aprobó"):
# as the subject of a verb of action it is taken, unlike other steps ("la investigación sigue").
ACTING_BODIES = words_of("subcomision subcommittee")
MONTHS = frozenset(textkit.MONTHS)
NARRATIVE_RELATIVES = words_of("donde where")  # after a comma: what happened at the place just named
RELATIVES = words_of("que quien quienes cuyo cuya cuyos cuyas donde which who whom whose where")
# A position taken further down a story about another step that is news of its own: qualifying the
# step, repeating a call, demanding, expressing concern, marching (a welcome or a warning is a reaction).
STANCES = words_of("calificar reiterar exigir expresar marchar express reiterate march")
# The heads of an operative article of a resolution or law, and English verbs that open one (Spanish opens
# with an infinitive: "Artículo Primero.- Designar a ...").
OPERATIVE_HEADS = words_of("articulo article resuelve resolves resuelven decreta decrees")
OPERATIVE_VERBS = words_of("designate appoint create assign order declare establish approve transfer deactivate "
                           "dissolve conclude grant extend")
# A law or decree "published in El Peruano" (the official gazette) is in force.
PUBLISHED = ("publicad", "published")
GAZETTES = words_of("peruano gazette")
# "ordenó un nuevo juicio", "ordered a new trial": a court that orders a step again has not held it yet
AGAIN = words_of("nuevo nueva new otro otra another")
ORDERING = words_of("ordenar disponer mandar order")
# English verbs of saying, which drop "that": a step right after one is what was said, told in a clause of its
# own ("Cano said the formal investigation is an important step"), so its verb is looked for there.
SAYING = words_of("say tell state claim argue insist")
# Subjects that negate their verb from further back ("ninguna de las carpetas ha pasado a", "none of the
# officers has testified").
NONE_SUBJECTS = words_of("ningun ninguna ninguno nadie none nobody neither")
# A step after "sin" or "without" did not happen ("relatives gathered for a mass, without speeches or demands").
WITHOUT = words_of("sin without")
# Verbs of reporting: a pluperfect under them is the news told in the past ("told families that the
# investigation had been extended").
REPORTING = words_of(
    "decir informar senalar indicar comunicar explicar precisar confirmar sostener afirmar asegurar say tell "
    "inform report state confirm explain argue claim announce")
# Verbs that say a step happened when the step is their subject ("el juicio comenzó", "the trial opened").
HAPPENINGS = words_of(
    "empezar comenzar iniciar arrancar reanudar concluir culminar terminar begin start open resume conclude "
    "end get")
# Days of this week: a participle dated by one reports what just happened ("realizada ayer").
TODAY = words_of("ayer hoy anoche yesterday today")  # the day of the news or the one before
RECENT_DAYS = frozenset(textkit.WEEKDAYS) | TODAY
THIS_OR_LAST = words_of("esta this last pasada")
WEEK_WORDS = words_of("semana week")
# A date right after these is a deadline or the event itself, not the day of the step.
NOT_STEP_DATE_BEFORE = frozenset(
    "hasta desde until till through since plazo deadline muertes muertos fallecidos fallecidas victimas "
    "asesinados heridos masacre matanza hechos sucesos ocurrido ocurridos ocurridas protestas represion "
    "enfrentamientos tragedia aniversario massacre killings deaths dead killed victims events protests "
    "anniversary shooting shootings balacera tiroteo unrest crackdown".split()
)

# The order of a criminal proceeding: a step of an earlier stage than the one a text reports is its history.
STAGES = {"complaint": 0, "preliminary_investigation": 1, "formal_investigation": 2, "indictment": 4,
          "trial": 5, "ruling": 6, "appeal": 7}

# Verbs that bring back what happened before: a step in the clause they open is history ("la institución
# recordó que en 2023 publicó un informe", "the communiqué recalls that the IACHR granted ...").
RECALLING = words_of("recordar rememorar evocar recall remind")
COMPLEMENTIZERS = words_of("que that")
# Steps a body takes by approving a report (Congress's "informe final"): the report is their vehicle.
CARRIED_BY_A_REPORT = frozenset(("archived", "constitutional_complaint", "indictment"))
# Steps that are a voice (a demand, a report): the other steps their body tells after the lead are their
# context, not news of their own ("families protested ... The prosecutor opened its inquiry in January").
VOICES = frozenset(("statement", "report"))
# Investigations: opened or formalized is a step; one that goes on ("sigue", "continues") is not.
INVESTIGATIONS = frozenset(("preliminary_investigation", "formal_investigation"))
EXTENDING = words_of("ampliar prorrogar extender extend prolong")
# Verbs of a position taken on a step ("saluda el inicio del juicio", "welcomed the ruling"): the position
# is the statement, the step it is about was reported before.
# Stems, as the lemmatizer leaves many of their present forms as they are ("saluda").
REACTING = tuple(
    "salud celebr valor lament critic cuestion conden deplor repudi welcom prais hail condemn regret".split())
# The reactions among them that cannot be a step's own verb ("condenó" also sentences): what they welcome was news
# before ("valoró la acusación fiscal presentada")
WELCOMING = tuple("salud celebr valor welcom prais hail".split())
# Verbs of a court deciding on an indictment filed before ("admitió la acusación", "confirms indictment")
JUDGING_AN_INDICTMENT = words_of(
    "admitir confirmar validar revisar declarar controlar admit confirm uphold review validate declare")
# Words that make a step's object an earlier one ("archived an earlier complaint", "una denuncia anterior").
EARLIER = words_of("earlier previous prior anterior anteriores previa previo previas previos")
# Headline kickers of a piece that looks back rather than reports ("Analysis: Can Peru's cases survive?").
LOOK_BACK_KICKERS = words_of("analysis analisis opinion editorial column columna explainer perspective perfil profile")
