"""Wordings that decide a step's status: voices and recalls, the words of a primary step, words that
report no such step, look-back kickers and calls, steps told through other words, recaps and a
headline's future.
"""

from __future__ import annotations

import pytest

from tests.support.milestones import PUBLISHED, read_rules, statuses


@pytest.mark.parametrize(("title", "text", "mtype", "status", "why"), [
    # what a speaker recalls is history; a verb coordinated after the recalled clause is a new main clause
    ("Defensoría recomienda formalizar investigaciones por Juliaca", "La Defensoría recomendó al Ministerio "
     "Público formalizar las investigaciones. La institución recordó que en 2023 publicó un informe sobre los "
     "fallecidos.", "report", "background", "recalled"),
    ("Illariy demands formalisation of charges", "The institute issued a communiqué demanding charges. The "
     "communiqué recalls that the IACHR granted precautionary measures to the families.", "precautionary_measure",
     "background", "recalled"),
    ("ONU pide a Perú no aplicar la amnistía", "El Alto Comisionado pidió a Perú no aplicar la ley. Su portavoz "
     "recordó que el derecho internacional prohíbe las amnistías y exhortó a los jueces a ejercer control.",
     "statement", "taken", "the request is the step"),
    # the Congress report that carries the archiving
    ("Congress committee archives constitutional complaint 509 against Boluarte", "The Permanent Committee on "
     "Wednesday approved the final report recommending the archiving of constitutional complaint 509.", "report",
     "background", "carries the step"),
    # a demand's or a report's body: the other steps it tells after the lead are its context
    ("Macusani families demand justice", "Relatives protested on Monday outside the prosecutor's office and "
     "demanded charges. The prosecutor's office opened its inquiry into the deaths.",
     "preliminary_investigation", "background", "context of the statement"),
    # a step dated by a bare month before the month of publication, below the lead, is told again
    ("Macusani families demand justice", "Relatives protested on Monday outside the prosecutor's office and "
     "demanded charges. The prosecutor's office opened its inquiry into the deaths in January.",
     "preliminary_investigation", "background", "before the month of publication"),
    ("Former police commander testifies", "A former colonel testified on Tuesday before the judges. The trial "
     "opened in January.", "trial", "background", "before the month of publication"),
    # an investigation that goes on is no new step
    ("Four Juliaca police officers testify as preparatory investigation continues", "Four officers gave statements "
     "on Monday before the prosecutor.", "formal_investigation", "background", "under way"),
    # a report that recommends: its call is part of it
    ("Ombudsman publishes report on protest deaths, recommends reparations", "The Ombudsman's Office on Tuesday "
     "presented a report on the protests.", "statement", "background", "the call of the report"),
])
def test_voices_recalls_and_vehicles(title: str, text: str, mtype: str, status: str, why: str) -> None:
    found = [m for m in read_rules(title, text, published=PUBLISHED) if m.type == mtype]
    assert found and found[0].status == status and why in found[0].reason, found


@pytest.mark.parametrize(("title", "text", "primary"), [
    ("Juliaca preparatory investigation extended by seven months", "A judge granted the request to extend by seven "
     "months the preparatory investigation against four officers.", "investigation_extended"),
    ("Prosecutor's Office formalises investigation against army officers", "The prosecutor formalised the "
     "preparatory investigation against three officers.", "formal_investigation"),
    ("Police search home of former general in Juliaca killings probe", "Prosecutors and police on Monday searched "
     "the home of a retired general.", "coercive_measure"),
    ("Ombudsman publishes report on protest deaths, recommends reparations", "The Ombudsman's Office on Tuesday "
     "presented a report on the protests.", "report"),
    ("Carpetas del caso Juliaca pasan a la fiscalía de derechos humanos de Puno", "La Fiscalía de la Nación "
     "dispuso el martes que las carpetas sean asumidas por la fiscalía de Puno.", "institutional"),
])
def test_primary_step_wordings(title: str, text: str, primary: str) -> None:
    found = read_rules(title, text, published=PUBLISHED)
    assert found and found[0].primary and found[0].type == primary, found


@pytest.mark.parametrize(("title", "text", "absent"), [
    ("Ombudsman's Office reports 17 deaths in Juliaca, urges prompt investigation", "The Ombudsman's Office "
     "reported that 17 civilians died and called for an investigation.", "report"),
    ("Ministerio Público presenta estadísticas", "El Ministerio Público presentó su reporte sobre las 49 "
     "investigaciones abiertas por muertes de civiles y 230 declaraciones testimoniales.", "testimony"),
    ("CIDH otorga medidas cautelares a deudos de Juliaca", "La CIDH otorgó medidas cautelares a los familiares. "
     "La Comisión realizó una visita in loco, durante la cual recogió testimonios en Puno.", "testimony"),
    ("Juez dicta auto de enjuiciamiento contra policías", "El juzgado dictó auto de enjuiciamiento contra tres "
     "suboficiales y remitió el expediente al Juzgado Penal Colegiado.", "institutional"),
    ("Court orders trial of army officers over Andahuaylas deaths", "A court on Wednesday ordered that army "
     "officers stand trial over the deaths.", "trial"),
    ("IDL: el juicio por Juliaca es un paso, pero faltan los mandos", "El Instituto de Defensa Legal saluda el "
     "inicio del juicio oral contra tres policías.", "trial"),
    # a documentary that carries someone's "testimonio" (the guide: a film called a testimony is none)
    ("Reynaldo Ilaquita: el testimonio de su madre en el documental 'Juliaca, la herida abierta'",
     "La película se estrena este viernes en Lima.", "testimony"),
    # reporting to a court as a restriction is no testimony
    ("Two colonels charged over Ayacucho killings", "A judge ordered both to appear periodically before the court.",
     "testimony"),
])
def test_wordings_that_report_no_such_step(title: str, text: str, absent: str) -> None:
    found = read_rules(title, text, published=PUBLISHED)
    assert not [m for m in found if m.type == absent and m.status == "taken"], found


@pytest.mark.parametrize(("title", "text", "mtype", "status"), [
    ("Prosecutors file new constitutional complaint against Boluarte", "The Attorney General's Office on Wednesday "
     "filed a new constitutional complaint. Congress archived an earlier complaint over the same deaths in May.",
     "archived", "background"),
    ("Analysis: Can Peru's protest cases survive the amnesty era?", "With an amnesty law already in force, lawyers "
     "fear the cases may stall.", "legislation", "background"),
    ("Families still without autopsy reports", "Aprodeh demanded on Thursday that Legal Medicine hand over the "
     "necropsy protocols.", "report", None),
    ("ONU insta al Perú a garantizar la participación de las víctimas", "Un grupo de relatores instó hoy al Perú "
     "a garantizar la participación de las familias en el juicio.", "statement", "taken"),
    ("CNDDHH denuncia hostigamiento a familias de heridos", "La Coordinadora denunció hostigamiento policial a las "
     "familias de los heridos.", "statement", "taken"),
])
def test_earlier_objects_look_back_kickers_and_calls(title: str, text: str, mtype: str, status: str | None) -> None:
    """status None: the type is not found at all; background: found, if at all, never taken."""
    got = statuses(title, text)
    if status is None:
        assert mtype not in got, got
    elif status == "background":
        assert "taken" not in got.get(mtype, set()), got
    else:
        assert status in got.get(mtype, set()), got


def test_a_hearing_set_in_a_demands_body_is_still_news() -> None:
    """A voice's body tells context after the lead, except a hearing a court set or held (docs/architecture.md)."""
    text = ("La CIDH pidió al Estado peruano investigar las muertes de Juliaca. El juzgado programó la audiencia "
            "para el 4 de diciembre. La fiscalía abrió investigación preliminar en enero.")
    got = statuses("CIDH sigue el caso Juliaca", text)
    assert got["statement"] == {"taken"} and "taken" in got["hearing"], got
    assert "taken" not in got.get("preliminary_investigation", set()), got


@pytest.mark.parametrize(("title", "text", "mtype", "status", "why"), [
    # the defence asking for a dismissal asks for it
    ("Audiencia de control de acusación en el caso Juliaca", "El juzgado realizó ayer la audiencia. Durante la "
     "sesión, las defensas plantearon el sobreseimiento del caso.", "archived", "requested", "asked for"),
    # a dismissal worded as a rejection is the archiving itself
    ("Judge dismisses case against protesters", "A judge in Juliaca on Monday dismissed the case against eleven "
     "protesters.", "archived", "taken", "the rejection is the step"),
    # a verdict welcomed is what the statement is about, not a new ruling
    ("UN rights office welcomes Juliaca verdict", "The office called it an important step against impunity.",
     "ruling", "background", "a position on it"),
    # a headline's step that the body tells as asked for
    ("Prosecutors ask court to bar former president from leaving Peru", "Prosecutors on Wednesday requested an "
     "18-month travel ban for the former president.", "coercive_measure", "requested", "told in the body"),
    # a report of autopsies delivered is expert evidence
    ("Peritos entregan informe de las necropsias", "Medicina Legal entregó a la fiscalía el documento.",
     "forensic", "taken", "the report of"),
    # a court declaring a charge admissible rules on it
    ("Juez declara procedente acusación contra cuatro policías y los envía a juicio", "El juzgado dictó el auto "
     "de enjuiciamiento.", "indictment", "background", "what the court admitted"),
    # a verb charge beside a constitutional complaint filed is that complaint
    ("Prosecutors accuse former minister over 2020 deaths", "Prosecutors filed a constitutional complaint on "
     "Tuesday against the former minister.", "indictment", "background", "constitutional complaint"),
    # what an earlier indictment asks for is background
    ("Poder Judicial programa audiencia de control de acusación", "El juzgado programó la audiencia para el 18 "
     "de mayo. La acusación fiscal, presentada en marzo, solicita penas de 25 años de prisión.",
     "indictment", "background", ""),
])
def test_steps_told_through_other_words(title: str, text: str, mtype: str, status: str, why: str) -> None:
    found = [m for m in read_rules(title, text, published=PUBLISHED) if m.type == mtype]
    assert found and found[0].status == status and why in found[0].reason, found
    assert status == "taken" or all(m.status != "taken" for m in found), found


def test_according_to_a_statement_names_a_source() -> None:
    found = read_rules("Prosecutors formalize investigation against four officers", "The officers are "
                            "suspected of homicide, according to a statement.", published=PUBLISHED)
    assert [m.type for m in found if m.status == "taken"] == ["formal_investigation"], found


@pytest.mark.parametrize(("title", "text", "mtype"), [
    ("Juicio por Juliaca", "En la sesión de ayer declararon dos peritos de balística ante el colegiado.", "testimony"),
    ("Caso Juliaca", "La fiscalía recabó las primeras declaraciones de heridos el lunes.", "testimony"),
    ("Former minister questioned", "The former minister appeared before prosecutors on Tuesday.", "testimony"),
    # testifying before a congressional committee, or a prosecutor taking statements
    ("Interior minister answers over Juliaca deaths", "The minister appeared yesterday before the Congress Defence "
     "Committee to explain the police operation.", "testimony"),
    ("Exjefe policial responde por Juliaca", "El exjefe de la Región Policial Puno acudió este miércoles a la "
     "Comisión de Defensa del Congreso para explicar el operativo.", "testimony"),
    ("Comisión cita a exjefes policiales", "La Comisión de Justicia recibió este martes la declaración del "
     "excomandante general de la Policía.", "testimony"),
    ("Juliaca: police commanders questioned", "Investigators took the statements of two police commanders on "
     "Thursday.", "testimony"),
    # a session set for a coming day is news wherever the text tells it (the milestone guide: set for a date)
    ("Juicio por Juliaca: declaran peritos", "En la cuarta sesión del juicio oral declararon ayer dos peritos de "
     "balística. Ambos ratificaron que los proyectiles salieron de fusiles policiales. La defensa cuestionó la cadena "
     "de custodia. El colegiado programó la siguiente sesión para el 10 de diciembre.", "hearing"),
    ("Peru opens probe", "Prosecutors opened preliminary proceedings against army officers on Monday.",
     "preliminary_investigation"),
    ("Fiscal de la Nación", "El fiscal de la Nación ratificó ayer al equipo especial que investiga las muertes.",
     "institutional"),
    # telling the IACHR what happened, a court hearing an expert, a suspect keeping silent before the judge
    ("CIDH: audiencia sobre las protestas en Perú", "Familiares de víctimas de Juliaca y Ayacucho expusieron ayer ante "
     "la Comisión la falta de avances en las investigaciones.", "testimony"),
    ("IACHR hearing on Peru's protests", "Relatives of people killed in Juliaca told the commissioners on Tuesday that "
     "no one had been charged.", "testimony"),
    ("Juicio por Juliaca: declaran peritos", "El juzgado colegiado escuchó este martes a dos peritos de balística.",
     "testimony"),
    ("Juliaca: suboficiales guardan silencio", "Los cuatro suboficiales se acogieron ayer a su derecho a guardar "
     "silencio ante el juez.", "testimony"),
    # prosecutors added to a team, a team ended, a new office created
    ("Fiscalía refuerza equipo de Juliaca", "La Fiscalía de la Nación dispuso ayer la incorporación de diez fiscales "
     "adjuntos al Equipo Especial.", "institutional"),
    ("Prosecutor's office for Juliaca", "The Attorney General on Monday created a transitional supraprovincial "
     "prosecutor's office in Puno.", "institutional"),
    # families meeting a court's president to ask; an NGO rejecting a law's promulgation
    ("Deudos piden que se inicie el nuevo juicio", "Familiares de los fallecidos se reunieron con el presidente de la "
     "Corte Superior de Puno para pedir que el juicio se inicie este año.", "statement"),
    ("CNDDHH: ley de amnistía busca garantizar impunidad", "La Coordinadora Nacional de Derechos Humanos rechaza la "
     "promulgación de la ley que concede amnistía a militares y policías.", "statement"),
])
def test_wordings_of_a_step_taken(title: str, text: str, mtype: str) -> None:
    found = read_rules(title, text, published=PUBLISHED)
    assert any(m.type == mtype and m.status == "taken" for m in found), found


@pytest.mark.parametrize(("title", "text", "mtype"), [
    # the investigation as the subject of what is ordered is no investigation opened
    ("Caso Juliaca pasa a la Fiscalía de Derechos Humanos", "La Fiscalía de la Nación dispuso que la investigación "
     "por las muertes sea trasladada a la fiscalía supraprovincial.", "preliminary_investigation"),
    # the prosecution restating at trial the sentence it asks for is the charge, not a public position
    ("Arranca el juicio oral por las muertes de Juliaca", "El colegiado dio inicio ayer al juicio oral. En la "
     "primera sesión, la fiscalía reiteró el pedido de hasta 35 años de prisión.", "statement"),
])
def test_words_that_report_no_step_of_that_type(title: str, text: str, mtype: str) -> None:
    found = read_rules(title, text, published=PUBLISHED)
    assert not any(m.type == mtype and m.status == "taken" for m in found), found


@pytest.mark.parametrize(("title", "text", "mtype", "status", "why"), [
    # going to the prosecutor to testify is testifying
    ("Exministro acude a la Fiscalía", "El exministro acudió ayer a la sede de la Fiscalía de la Nación para rendir "
     "su declaración en la investigación por las muertes.", "testimony", "taken", "went to testify"),
    # the witnesses' own verb is the testimony
    ("Testigos declaran en juicio por muertes en Juliaca", "La sesión se realizó en San Román.", "testimony",
     "taken", "the witnesses testify"),
    # what happened at the place just named goes on with the story
    ("Exjefe policial ante la fiscalía", "El exjefe de la Región Policial Puno acudió ayer a la sede del Equipo "
     "Especial de Fiscales, donde declaró durante cinco horas como investigado.", "testimony", "taken", ""),
    # the investigation extended is what the extension acts on
    ("Prosecutors extend Juliaca investigation by eight months", "The special team has extended the preparatory "
     "investigation by eight months.", "formal_investigation", "background", "extends"),
    # a court deciding an appeal takes a decision of its own: the appeal decided and a ruling beside it
    ("Vizcarra case: court confirms sentence", "Lima's appeals court confirmed on Wednesday the prison sentence of "
     "former president Martín Vizcarra, rejecting the defence's appeal.", "ruling", "taken",
     "decided on appeal, the court's decision"),
    # further down a story about another step, a position of its own is news; a welcome is a reaction
    ("Fiscalía archiva investigación contra exministros por Juliaca", "La fiscalía archivó ayer la investigación "
     "contra dos exministros. La decisión fue notificada a las partes. Los familiares calificaron la decisión como "
     "un blindaje.", "statement", "taken", "verb of action 'calificaron'"),
    ("Fiscalía formaliza investigación contra policías por Juliaca", "La fiscalía formalizó ayer la investigación "
     "contra cuatro policías. La disposición tiene 200 páginas. Los familiares saludaron la decisión.", "statement",
     "background", "a reaction further down"),
    # a resolution's article is its news, after however many considerations
    ("Resolución de la Fiscalía de la Nación N.° 2455-2023-MP-FN", "Lima, 4 de octubre de 2023. VISTO y "
     "CONSIDERANDO: Que, mediante Resolución N.° 790-2023-MP-FN se conformó el Equipo Especial. SE RESUELVE: "
     "Artículo Primero.- Designar a un fiscal adjunto provincial en el despacho del Equipo Especial con sede en Puno.",
     "institutional", "taken", "the operative part of a resolution"),
    ("Resolution No. 412-2024-MP-FN", "ARTICLE ONE.- Designate a provincial prosecutor to the Supraprovincial "
     "Prosecutor's Office of Puno, with exclusive dedication to the investigations of 9 January 2023.",
     "institutional", "taken", "ordered by an article of the resolution"),
    # a decree published in the official gazette is in force; one published years ago is history
    ("Supreme decree grants support to families of protest victims", "A supreme decree published today in El Peruano "
     "grants a payment of 50,000 soles to the families of people who died during the protests.", "legislation",
     "taken", "published in the official gazette"),
    ("Familias de Juliaca esperan reparación", "El decreto supremo 009-2023-PCM, publicado en El Peruano en enero de "
     "2023, declaró el estado de emergencia en Puno.", "legislation", "background", ""),
    # a Spanish present of obligation or possibility is no step taken
    ("Exfiscal habla sobre Juliaca", "En una entrevista, el exfiscal sostuvo que la investigación por Juliaca debe "
     "avanzar hacia la formalización.", "formal_investigation", "announced", "modal 'debe'"),
    ("Juez condena a excomandante por muertes en Juliaca", "El juzgado condenó ayer a un excomandante a 12 años de "
     "prisión. La sentencia puede ser apelada.", "appeal", "announced", "modal 'puede'"),
    # what was said after an English verb of saying is told by its own verb, not by "said"
    ("Gloria Cano: 'Juliaca is a test for justice'", "In an interview, lawyer Gloria Cano said the formal "
     "investigation against four police officers is an important step but insufficient.", "formal_investigation",
     "background", "no action"),
    # a subject that negates from further back
    ("Juliaca: un año después", "A un año de la masacre, ninguna de las carpetas ha pasado a investigación "
     "preparatoria.", "formal_investigation", "background", "negated 'ninguna'"),
    ("Tres años después", "A tres años de las protestas, ninguna de las carpetas por las muertes en Ayacucho (15 de "
     "diciembre de 2022) y Juliaca (9 de enero de 2023) ha llegado a juicio.", "trial", "background",
     "negated 'ninguna'"),
    # a step done several times is a history, not today's step
    ("Un año de la masacre de Juliaca", "Un año después, la investigación sigue en etapa preliminar y ha cambiado "
     "de fiscal dos veces.", "institutional", "background", "times before: a recap"),
    ("Juliaca families wait", "The special team has extended the preparatory investigation twice.",
     "investigation_extended", "background", "times before: a recap"),
    # a trial a court orders held again is still to come; the ruling is the news
    ("Corte Suprema anula sentencia y ordena nuevo juicio", "La Sala Penal Permanente anuló la absolución de tres "
     "policías y ordenó un nuevo juicio oral.", "trial", "announced", "ordered anew, still to be held"),
    ("Court orders new trial for police officers", "The Supreme Court annulled on Wednesday the acquittal of police "
     "officers and ordered a new trial.", "trial", "announced", "ordered anew"),
    # statements a prosecutor orders taken are still to be given
    ("Fiscalía de Ayacucho abre investigación a militares", "El fiscal inició ayer diligencias preliminares contra "
     "efectivos del Ejército. El fiscal dispuso recabar los registros de armamento y tomar declaraciones a los "
     "heridos.", "testimony", "announced", "ordered, still to be given: 'dispuso'"),
    # a position on an indictment, or a court deciding on it: the indictment was filed before
    ("ONU valora acusación en el caso Ayacucho", "La Oficina del Alto Comisionado valoró hoy la acusación fiscal "
     "presentada contra siete militares y la calificó como un paso significativo.", "indictment", "background",
     "what 'valoró' welcomes"),
    ("Judge confirms indictment, sends Ayacucho soldiers to trial", "At the control hearing held on Thursday, the "
     "judge declared the indictment against seven soldiers well-founded.", "indictment", "background",
     "what the court decides on: 'confirms'"),
    # "celebrar" a hearing is holding it
    ("CIDH celebra audiencia pública sobre impunidad en Perú", "La CIDH celebró ayer una audiencia pública sobre el "
     "avance de las investigaciones por las muertes en Juliaca.", "hearing", "taken", "'celebr"),
    # what is counted down to has not happened
    ("In Juliaca, mothers count the days until the trial", "Every morning a mother walks past the courthouse.",
     "trial", "announced", "'until'"),
    # a subject "no ..." negates its verb across an adverb ("no member ... has been formally charged")
    ("IDL: two years of impunity", "The investigation remains at a preliminary stage and no member of the army has "
     "been formally charged, the institute writes.", "formal_investigation", "background", "negated 'no'"),
    # a headline charge that is the formalization told in the body: the formalization is news, not context
    ("Peru prosecutors charge four officers over Juliaca deaths - Reuters", "Peru prosecutors charge four officers "
     "over Juliaca deaths. Peruvian prosecutors on Thursday formally charged four police officers over the killing "
     "of protesters.", "formal_investigation", "taken", "verb of action 'charged'"),
    # a year in a headline kicker, or the year of what a participle tells, does not date the step
    ("Juliaca 2011: Sala Penal de Puno confirma sentencia contra policías", "La Sala Penal de Apelaciones de Puno "
     "confirmó la condena impuesta a dos policías por las muertes en el aeropuerto.", "appeal", "taken",
     "named in the headline"),
    ("Dos investigados por la muerte de un policía en Juliaca dejan el penal", "La Sala de Apelaciones de Puno revocó "
     "ayer la prisión preventiva dictada en 2023 contra los dos investigados.", "appeal", "taken",
     "verb of action 'revocó'"),
    # what did not happen ("without demands") is no step; "sin embargo" and a "Sin X," opener negate nothing
    ("Two years on, Juliaca remembers its dead", "Relatives gathered at the cemetery on Thursday for a mass, without "
     "speeches or demands.", "statement", "background", "'without': no step"),
    ("Sin inmunidad, Boluarte recibe denuncia penal de familiares", "La expresidenta fue denunciada penalmente ayer "
     "por los familiares de doce víctimas.", "complaint", "taken", ""),
])
def test_status_read_from_the_sentence(title: str, text: str, mtype: str, status: str, why: str) -> None:
    found = [m for m in read_rules(title, text, published=PUBLISHED) if m.type == mtype]
    assert found and found[0].status == status and why in found[0].reason, found


def test_lost_immunity_is_no_constitutional_complaint() -> None:
    found = read_rules("Judge bars former president from leaving Peru", "A judge on Tuesday barred the former "
                            "president from leaving Peru. She was removed by Congress and lost presidential immunity.",
                            published=PUBLISHED)
    assert not any(m.type == "constitutional_complaint" and m.status == "taken" for m in found), found


@pytest.mark.parametrize(("title", "text", "mtype"), [
    # a recap word opening the clause of the verb that acts on the step
    ("Families say threats continue", "Two years after the IACHR granted precautionary measures to leaders of the "
     "association, the families say threats have not stopped.", "precautionary_measure"),
    # an English headline's "to be" / "to travel" tells what is coming
    ("Boluarte to be questioned by prosecutors next month", "The former president will answer questions.",
     "testimony"),
    ("Ayacucho families to travel to Washington for IACHR hearing", "Relatives will take part next month.",
     "hearing"),
])
def test_recaps_and_headline_futures_report_no_step(title: str, text: str, mtype: str) -> None:
    found = read_rules(title, text, published=PUBLISHED)
    assert not any(m.type == mtype and m.status == "taken" for m in found), found
