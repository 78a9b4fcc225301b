"""The sentence-level rules of the step a text reports, one case or more per rule: negations, dated
participles, positions, reported speech, titles of works, hearings set or held, and the rest.
"""

from __future__ import annotations

import pytest

from tests.support.milestones import statuses


@pytest.mark.parametrize(("title", "text", "mtype", "status"), [
    # a dated participle after the step: decided before ("dictada en agosto", "imposed in September")
    ("Sala confirma impedimento de salida", "La Sala Penal de Apelaciones declaró infundado el recurso de apelación "
     "y confirmó la medida de impedimento de salida dictada en agosto.", "coercive_measure", "background"),
    # what a position welcomes is context; the position is the statement
    ("Familias saludan que el juez haya dictado impedimento de salida a los policías", "", "coercive_measure",
     "background"),
    # reported speech: a pluperfect told by "informed that" is the news
    ("Juliaca probe extended again", "Prosecutors informed the families on Monday that the preliminary "
     "investigation had been extended by eight months.", "investigation_extended", "taken"),
    # a negated step did not happen
    ("A cien días, ningún policía ha declarado ante la fiscalía", "", "testimony", "background"),
    # a step its clause dates long before publication (2025-09-17) is told again, whatever its verb
    ("Análisis: el caso Juliaca después de la vacancia", "La fiscalía abrió investigación preliminar contra la "
     "presidenta en enero de 2023 y todavía no decide si la formaliza.", "preliminary_investigation", "background"),
    ("Familias esperan fecha para el juicio", "La fiscalía presentó la acusación hace dos años y el juzgado aún "
     "no programa la audiencia.", "indictment", "background"),
    ("Prosecutors act in Juliaca case", "Prosecutors ordered new ballistic tests last week, two years after the "
     "first ones.", "forensic", "taken"),  # "last week" is no year: the step stays news
    # a court's decision on an appeal reported with it is the appeal decided; a decision granting a measure is a
    # ruling of its own besides the measure (the writers of v12-v16 label both)
    ("Sala confirma impedimento de salida a cuatro policías", "La Sala de Apelaciones declaró infundada la "
     "apelación de la defensa de cuatro policías investigados por las muertes en Juliaca.", "ruling", "background"),
    ("Juez dicta impedimento de salida a cuatro policías", "El juez declaró fundado el requerimiento de "
     "impedimento de salida contra cuatro policías investigados por las muertes en Juliaca.", "ruling", "taken"),
    # a long subject whose verb says the step happened
    ("Families fill a courtroom in Puno", "The trial of two police officers accused of shooting protesters near "
     "the airport began on Monday in Puno.", "trial", "taken"),
    # a participle dated this week reports what just happened; dated by a month, an earlier step
    ("Fiscalía recibe resultados en Juliaca", "La necropsia practicada ayer en Juliaca confirmó que el agente murió "
     "por traumatismo.", "forensic", "taken"),
    ("Fiscalía recibe resultados en Juliaca", "La necropsia practicada en marzo confirmó que el agente murió "
     "por traumatismo.", "forensic", "background"),
    # a present tense the lemmatizer reads as a noun, before its object, is the verb of a position
    ("Aprodeh y el caso Juliaca", "Aprodeh saluda la acusación contra los policías del caso Juliaca.", "statement",
     "taken"),
    # a relative clause with its own verb does not hold the step that follows it
    ("Juicio por Juliaca", "El perito que examinó los proyectiles declaró hoy ante el juzgado colegiado en Puno.",
     "testimony", "taken"),
    # a count of times right after a step makes it a history
    ("Fiscalía pide más plazo", "La investigación preliminar ha sido ampliada en varias ocasiones desde 2023 y "
     "sigue sin imputados.", "investigation_extended", "background"),
    # a march or sit-in held, a letter sent, a release "said today": positions taken in public
    ("Families gather in Huamanga", "Relatives of the victims held a vigil outside the court on Tuesday.",
     "statement", "taken"),
    ("Congresistas de Puno escriben a la fiscal", "Cuatro congresistas enviaron ayer un oficio a la fiscal de la "
     "Nación sobre el caso Juliaca.", "statement", "taken"),
    # appearing before a commission to answer is testifying; a new office opened is an institutional step
    ("Ministro acude al Congreso", "El ministro del Interior se presentó ayer ante la Comisión de Justicia por las "
     "muertes en Juliaca.", "testimony", "taken"),
    ("Fiscalía en Juliaca", "El equipo especial instaló ayer un despacho en Juliaca para el caso.", "institutional",
     "taken"),
    # a present in an English body is a verb before its object ("follows a complaint": no action on it)
    ("Prosecutors widen Juliaca probe", "The decision follows a criminal complaint by relatives of the victims.",
     "complaint", "background"),
    # a recap word opening the clause of a step that is its own verb
    ("Hearing still pending", "Five months after prosecutors indicted two officers, the court has not set a date.",
     "indictment", "background"),
    ("Audiencia pendiente", "Tres meses después de que la fiscalía acusara a dos policías, el juzgado no fija fecha.",
     "indictment", "background"),
    # what an appeals court upholds is the object of the appeal, which is the step
    ("Appeals court rules in Juliaca case", "The appeals chamber rejected the defence appeal and upheld the travel "
     "ban on four officers.", "coercive_measure", "background"),
    # a bill that alarms: a position on it, the bill is context
    ("UN experts alarmed by bill shielding police over protest deaths", "", "legislation", "background"),
    # the title of a work is no step: quoted, or after "titled"
    ("Se estrena 'Testimonio de Puno', documental sobre Juliaca", "", "testimony", None),
    ("Film on Juliaca premieres", "A documentary titled Testimony premiered on Wednesday in Lima.", "testimony", None),
    # a question headline heads an analysis: the body reports no step of its own
    ("¿Qué viene para el caso Juliaca?", "La carpeta pasó a una fiscalía de Lima y el plazo vence en marzo.",
     "institutional", None),
    # a relative clause inside the step's words describes who acts
    ("Fiscalía evalúa pedir prisión preventiva", "La fiscalía especializada que investiga las muertes de Huamanga "
     "evalúa nuevas diligencias.", "preliminary_investigation", "background"),
    # the subject of a future or conditional verb is announced, whatever verb stands before it
    ("Boluarte sin inmunidad", "Boluarte perdió la inmunidad y las investigaciones por las muertes podrían "
     "reactivarse.", "preliminary_investigation", "announced"),
    # "charge" in English copy over a formalized investigation is that formalization
    ("Prosecutors charge four officers over Juliaca deaths", "Prosecutors on Tuesday formally opened a preparatory "
     "investigation into four police officers.", "indictment", "background"),
    # a source's attribution is no statement; nouns whose lemma differs are no verbs ("media", "him")
    ("Judge bars officers from leaving Peru", "The judge barred four officers from leaving the country, the "
     "judiciary said in a statement.", "statement", None),
    ("Rolex probe extended", "The case was opened in March after media reports.", "report", None),
    ("Officers summoned in Juliaca case", "Prosecutors summoned four officers. They appeared on Monday. The forensic "
     "report, by contrast, was read at an earlier hearing.", "forensic", "background"),
    # a court setting the date of a hearing has set the hearing, whatever the date
    ("Juzgado programa audiencia en el caso Juliaca", "El juzgado fijó para el 26 de mayo de 2026 la audiencia de "
     "control de acusación.", "hearing", "taken"),
    ("Court sets date in Juliaca case", "The court on Thursday set 19 January 2027 as the date for the hearing.",
     "hearing", "taken"),
    # a list of demands after a colon: every "que se ..." in it is asked for
    ("Deudos entregan pliego al fiscal", "Los deudos entregaron un pliego de demandas: que se formalice la "
     "investigación y que se cite a declarar a los generales.", "testimony", "requested"),
    # what an archiving in the same sentence closes is its object
    ("Comisión Permanente archiva denuncia constitucional", "La Comisión Permanente aprobó el informe final que "
     "dispone el archivamiento de la denuncia constitucional contra la presidenta.", "constitutional_complaint",
     "background"),
    # a pluperfect told by a reporting verb right before it is the news, told in the past
    ("Lima prosecutors act", "Prosecutors in Lima said they had opened an inquiry into the death.",
     "preliminary_investigation", "taken"),
    # a phrase dated this week by its participle reports the step it names
    ("Juez dicta comparecencia", "En una audiencia virtual realizada ayer, el juez dictó comparecencia con "
     "restricciones.", "hearing", "taken"),
    # a trial that continues is under way (the guide); "denunciaron que" is a position, "la denuncia que" a noun
    ("Continúa el juicio oral por las muertes de Juliaca", "", "trial", "taken"),
    ("Deudos de Juliaca sin recursos", "Los deudos denunciaron que no tienen recursos para viajar a Lima.",
     "statement", "taken"),
    # a work's title opening the headline, in guillemets
    ("«Testimonio de Juliaca», el documental sobre la masacre", "", "testimony", None),
    # a headline's step still pending ("still without a date") is not taken; waiting for a step is no action
    ("Detention hearing in Juliaca case still without a date", "", "hearing", "announced"),
    ("Families wait for results of second autopsy in Juliaca case", "", "forensic", "background"),
    # an opinion piece heads no news of its own
    ("Opinion: Juliaca and impunity", "Congress shelved the first constitutional complaint within weeks.",
     "archived", None),
    # none of a step is no step ("cero sentencias"); what evidence finds, in the lead, is news
    ("CNDDHH: cincuenta muertes, cero sentencias", "", "ruling", "background"),
    ("Pericias confirman que las balas salieron de fusiles del Ejército", "", "forensic", "taken"),
    # resources assigned are no appeal; a march during which something happened is its time, not a position
    ("Ministerio destina recursos para la defensa de las víctimas", "", "appeal", None),
    ("Fiscalía formaliza investigación por muerte en Lima", "La fiscalía formalizó investigación contra un policía "
     "por la muerte de un hombre herido durante una marcha en Lima.", "statement", "background"),
    # testifying today without "ante": "declararon ayer"; a conviction with a day between verb and object
    ("Sobrevivientes hablan en el juicio", "Tres sobrevivientes de la balacera declararon ayer en Puno.",
     "testimony", "taken"),
    ("Corte Suprema resuelve caso", "La Corte Suprema condenó este jueves al exministro por cohecho.", "ruling",
     "taken"),
    ("Suprema resuelve recurso", "La Sala Suprema declaró no haber nulidad en la sentencia.", "appeal", "taken"),
    # the year of a shooting before a step names the events, not the step's date
    ("Puno: 2011 airport shooting trial enters final stage", "", "trial", "taken"),
    # a tally is statistics, not a step; what is still pending has not happened
    ("Fiscalía presenta balance", "En 2024 se realizaron más de 300 pericias y se recibieron 1 200 declaraciones.",
     "forensic", "background"),
    ("Equipo especial amplía plazos", "La medida responde a las pericias aún pendientes.", "forensic", "announced"),
    # done "a inicios de año" in a text of August: an earlier step
    ("Fijan fecha para audiencia", "La fiscalía presentó su acusación a inicios de año.", "indictment",
     "background"),
    # a request granted is done; "ubicación y captura", a reconstruction of the shootings
    ("Juez amplía plazo", "El juez aprobó el pedido de la fiscalía de ampliar la investigación por ocho meses.",
     "investigation_extended", "taken"),
    ("Tribunal condena a exministro", "El tribunal ordenó su ubicación y captura.", "coercive_measure", "taken"),
    # a hearing is taken when held or set for a date: held days ago, even told further down; set ahead
    ("Juez dicta impedimento de salida", "El juez dictó ayer impedimento de salida contra cuatro policías. La "
     "defensa anunció que apelará. La audiencia se realizó el lunes 15 de setiembre en Juliaca.", "hearing", "taken"),
    ("Juicio por Juliaca", "El juicio oral continuó hoy. La próxima audiencia será el 2 de octubre.", "hearing",
     "taken"),
    # a hearing the text dates this week is taken wherever it is told, "tras" included; a session set ahead too
    ("Juez rechaza prisión preventiva", "El juez rechazó ayer la prisión preventiva. La defensa celebró. El juez "
     "decidió tras una audiencia de diez horas realizada el lunes 15 de setiembre.", "hearing", "taken"),
    ("Juicio por Juliaca", "El juicio oral continuó hoy en Puno. La próxima sesión será el 30 de setiembre.",
     "hearing", "taken"),
    # a measure with its length ("nueve meses de prisión preventiva") is the measure
    ("Juez dicta medidas", "El juez dictó nueve meses de prisión preventiva contra uno de los acusados.",
     "coercive_measure", "taken"),
    # a member of Congress filing a criminal complaint files a complaint, not a constitutional one
    ("Congresista denuncia a exministro", "Una congresista presentó una denuncia penal ante la Fiscalía contra el "
     "exministro.", "complaint", "taken"),
    # expert evidence cited as the basis of something else is no step of its own
    ("Peritos declaran en el juicio", "Los peritos sostuvieron ayer las conclusiones de su pericia sobre los "
     "disparos.", "forensic", "background"),
    # a press release names the document's genre, not a position
    ("Press release: Prosecutor's Office files indictment in Juliaca case", "", "statement", None),
    # at a trial under way, the years the prosecution asks for are the charge tried, not a new indictment
    ("Se inicia juicio oral contra dos policías por muertes en Juliaca", "El juicio oral comenzó este lunes en "
     "Puno y la fiscalía pide 25 años de prisión para ambos.", "indictment", "background"),
])
def test_sentence_level_rules(title: str, text: str, mtype: str, status: str | None) -> None:
    assert statuses(title, text).get(mtype) == ({status} if status else None), statuses(title, text)
