"""Legal milestones in press-style Spanish and English sentences about the Juliaca case.

Each type has realistic sentences in both languages; the main (first) milestone must be that type.
Status, identifiers, actors, dates, priorities, the rule tables and the step a text reports are
checked in the other test_milestone_*.py modules of this folder.
"""

from __future__ import annotations

import pytest

from config.schema import MILESTONE_TYPES
from tests.support.milestones import PUBLISHED, read_rules

SPANISH: dict[str, list[str]] = {
    "complaint": [
        "Familiares de las víctimas de Juliaca presentaron una denuncia penal contra los policías que dispararon "
        "en el aeropuerto.",
        "Abogados de Fedepaz interpusieron una denuncia ante la Fiscalía por el homicidio calificado de 18 "
        "ciudadanos en Juliaca.",
        "La Asociación de Mártires y Víctimas del 9 de Enero denunció penalmente al exministro del Interior "
        "Víctor Rojas.",
        "Deudos presentan querella contra mandos de la Dinoes por las muertes en Juliaca.",
    ],
    "constitutional_complaint": [
        "La fiscal de la Nación presentó una denuncia constitucional contra Dina Boluarte por las muertes en Juliaca.",
        "La Subcomisión de Acusaciones Constitucionales aprobó el informe de calificación de la DC 509.",
        "Congresistas de izquierda presentan acusación constitucional contra Alberto Otárola por la masacre de "
        "Juliaca.",
    ],
    "preliminary_investigation": [
        "El Ministerio Público abrió investigación preliminar contra Dina Boluarte por genocidio, homicidio "
        "calificado y lesiones graves.",
        "La Fiscalía dispuso iniciar diligencias preliminares por la muerte de 18 personas en Juliaca.",
        "La Fiscalía Especializada en Derechos Humanos inició investigación por las muertes ocurridas en el "
        "aeropuerto de Juliaca.",
        "La Fiscalía incluyó a los ministros del Interior y de Defensa en la investigación por la masacre de Juliaca.",
    ],
    "investigation_extended": [
        "La fiscalía dispuso la ampliación excepcional del plazo de la investigación por ocho meses más.",
        "Fiscalía amplió por 120 días el plazo de las diligencias preliminares en la carpeta 023-2023.",
        "El Ministerio Público declaró compleja la investigación por las muertes en Juliaca.",
        "La Fiscalía prorrogó la investigación contra la presidenta Boluarte por los sucesos en Puno.",
    ],
    "formal_investigation": [
        "La Fiscalía formalizó investigación preparatoria contra cinco policías por la muerte de Marco Antonio "
        "Samillán.",
        "Ministerio Público formaliza investigación contra general PNP por homicidio calificado en Juliaca",
        "Tras dos años de diligencias, el caso Juliaca pasó a la etapa de investigación preparatoria.",
    ],
    "indictment": [
        "La Fiscalía presentó acusación contra los policías por la muerte de Heliot Arizaca y pide 35 años de "
        "prisión.",
        "El Ministerio Público formuló acusación fiscal contra el coronel Rojas Méndez por homicidio calificado.",
        "El fiscal solicitó 20 años de cárcel para los agentes implicados en las muertes de Juliaca.",
    ],
    "hearing": [
        "El Poder Judicial programó para el 20 de octubre la audiencia de control de acusación contra los policías.",
        "Este martes se instaló la audiencia en el juzgado de Juliaca, con presencia de los deudos.",
        "La CIDH realizó una audiencia pública sobre la situación de derechos humanos en Perú tras las protestas.",
    ],
    "trial": [
        "Comenzó el juicio oral contra los policías acusados por la muerte de Rubén Mamani Muchica.",
        "Los agentes se sentarán en el banquillo de los acusados por la masacre de Juliaca.",
        "La Sala Penal inició el juicio contra el exjefe de la Dinoes por los hechos de Juliaca.",
    ],
    "ruling": [
        "El juzgado emitió sentencia condenatoria contra el suboficial por la muerte de un manifestante.",
        "Condenan a 15 años de prisión a policía por la muerte de un manifestante en Puno.",
        "El Poder Judicial absolvió a los policías acusados por las muertes en Juliaca.",
        "La Sala Penal de Apelaciones de Puno condenó a 12 años de prisión al exjefe policial.",
    ],
    "coercive_measure": [
        "El juez dictó nueve meses de prisión preventiva contra el comandante PNP investigado por la masacre.",
        "Poder Judicial impone impedimento de salida del país a Dina Boluarte por 18 meses.",
        "La Fiscalía solicitó comparecencia con restricciones para los exministros Otárola y Rojas.",
    ],
    "archived": [
        "La Fiscalía archivó la investigación contra Dina Boluarte por las muertes en Juliaca.",
        "La Subcomisión de Acusaciones Constitucionales aprobó el archivamiento de la denuncia constitucional 509.",
        "La denuncia contra los ministros pasó al archivo tras la votación en la Comisión Permanente.",
        "Congreso archiva la DC 509 contra Dina Boluarte",
    ],
    "testimony": [
        "La presidenta Dina Boluarte acudió a declarar ante la Fiscalía por las muertes en Juliaca.",
        "El general Lara Vergara rindió su declaración ante el fiscal del caso en Puno.",
        "La Fiscalía citó a declarar a 20 policías que participaron en el operativo del aeropuerto.",
    ],
    "forensic": [
        "Los resultados de la necropsia confirman que Brayan Apaza murió por el impacto de un proyectil de arma "
        "de fuego.",
        "La pericia balística determinó que los proyectiles correspondían a fusiles de la Policía.",
        "Peritos de Medicina Legal realizaron la exhumación de los restos de una de las víctimas.",
    ],
    "report": [
        "La CIDH publicó su informe sobre la situación de derechos humanos en Perú y calificó lo ocurrido en "
        "Juliaca como masacre.",
        "La Defensoría del Pueblo presentó el Informe Defensorial N° 190 sobre los conflictos sociales.",
        "Amnistía Internacional difundió un informe que documenta el uso letal de la fuerza en el sur del país.",
    ],
    "precautionary_measure": [
        "La CIDH otorgó medidas cautelares a favor de los deudos de las víctimas de Juliaca.",
        "La Comisión Interamericana pidió al Estado adoptar medidas cautelares para proteger a los dirigentes.",
        "La Corte IDH dictó medidas provisionales a favor de las víctimas de las protestas.",
    ],
    "statement": [
        "La Coordinadora Nacional de Derechos Humanos emitió un comunicado sobre la situación de las víctimas.",
        "Deudos de Juliaca exigen justicia a dos años de la masacre.",
        "La Conferencia Episcopal se pronunció sobre las muertes en Puno y pidió diálogo.",
    ],
    "institutional": [
        "La fiscal de la Nación dispuso la desactivación del Equipo Especial de Fiscales para casos con víctimas "
        "durante las protestas.",
        "Tomás Gálvez juramentó como fiscal de la Nación interino tras la suspensión de Delia Espinoza.",
        "El Ministerio Público creó un equipo especial de fiscales para investigar las muertes en las protestas.",
        "La JNJ suspendió por seis meses a la fiscal de la Nación Delia Espinoza.",
    ],
    "legislation": [
        "El Congreso aprobó la ley de amnistía para militares y policías investigados por la lucha contra el "
        "terrorismo.",
        "El PL 13048/2025-CR propone la exención de responsabilidad penal para policías que usen sus armas.",
        "La presidenta promulgó la ley que concede amnistía a militares y policías.",
    ],
    "appeal": [
        "La defensa del coronel apeló la resolución que dictó prisión preventiva en su contra.",
        "Los deudos presentaron un recurso de queja contra la disposición de archivo.",
        "El Congreso interpuso una demanda competencial ante el Tribunal Constitucional contra el Poder Judicial.",
        "La defensa de Boluarte presentó un hábeas corpus para anular la investigación.",
    ],
}

ENGLISH: dict[str, list[str]] = {
    "complaint": [
        "Relatives of the Juliaca victims filed a criminal complaint against the police officers who opened fire.",
        "Human rights lawyers lodged a complaint with prosecutors over the deaths at the airport.",
        "The victims' association submitted a new complaint against the former interior minister.",
    ],
    "constitutional_complaint": [
        "The attorney general filed a constitutional complaint against Dina Boluarte over the Juliaca deaths.",
        "The Subcommittee on Constitutional Accusations approved the report on the complaint against the president.",
        "Lawmakers presented a constitutional accusation against former prime minister Alberto Otárola.",
    ],
    "preliminary_investigation": [
        "Peru's prosecutors opened a preliminary investigation into President Boluarte for genocide and homicide.",
        "The public prosecutor's office launched an investigation into the killings in Juliaca.",
        "The ministers are under investigation for the deaths of 18 people near the Juliaca airport.",
    ],
    "investigation_extended": [
        "Prosecutors extended the investigation into the Juliaca killings by eight months.",
        "The prosecutor's office granted an extension of the investigation deadline in the Juliaca case.",
        "The case was declared complex, which gives prosecutors more time.",
    ],
    "formal_investigation": [
        "Prosecutors formalized the investigation against five police officers over the Juliaca massacre.",
        "The case has now entered the preparatory investigation stage.",
        "The general is being formally investigated for aggravated homicide.",
    ],
    "indictment": [
        "Peru: prosecutors charge police commander over Juliaca massacre",
        "A police colonel was indicted for the killing of a protester in Juliaca.",
        "Prosecutors are seeking 35 years in prison for the officers accused of the killings.",
    ],
    "hearing": [
        "The indictment control hearing against the police officers was held on Monday.",
        "The IACHR held a public hearing on the situation of human rights in Peru.",
        "A court hearing on the case was suspended after the defense lawyer failed to appear.",
    ],
    "trial": [
        "The oral trial of the officers accused of killing Marco Antonio Samillán began in Puno.",
        "Three police officers will stand trial for the Juliaca killings.",
        "The trial against the former Dinoes commander opened in Lima.",
    ],
    "ruling": [
        "A Puno court sentenced a police officer to 15 years in prison for the death of a protester.",
        "The judge acquitted the officers accused of the Juliaca killings.",
        "The court delivered its verdict in the case of the Juliaca massacre.",
    ],
    "coercive_measure": [
        "A judge ordered nine months of pretrial detention for the police commander.",
        "The court imposed a travel ban on Dina Boluarte for 18 months.",
        "Police raided the homes of officers investigated for the killings.",
    ],
    "archived": [
        "Prosecutors archived the investigation against Dina Boluarte over the Juliaca deaths.",
        "Congress shelved the constitutional complaint against the president.",
        "The case against the ministers was dismissed by the prosecutor's office.",
    ],
    "testimony": [
        "President Boluarte testified before prosecutors about the deaths in Juliaca.",
        "Twenty police officers were summoned to testify about the airport operation.",
        "The general was questioned by prosecutors in Lima for six hours.",
    ],
    "forensic": [
        "The autopsy showed that the teenager was killed by a bullet to the chest.",
        "Ballistic tests matched the bullets to police rifles.",
        "Forensic experts carried out the exhumation of one of the victims.",
    ],
    "report": [
        "The IACHR published a report that describes the Juliaca events as a massacre.",
        "Amnesty International released a report on the lethal use of force in southern Peru.",
        "The ombudsman's office presented its final report on the social conflicts.",
    ],
    "precautionary_measure": [
        "The IACHR granted precautionary measures to the relatives of the Juliaca victims.",
        "The Inter-American Court ordered provisional measures to protect the witnesses.",
        "The commission asked Peru to adopt precautionary measures for the protest leaders.",
    ],
    "statement": [
        "The victims' association issued a statement on the second anniversary of the massacre.",
        "Human rights groups condemned the killings and called for an independent inquiry.",
        "Relatives demand justice two years after the Juliaca massacre.",
    ],
    "institutional": [
        "The attorney general dissolved the special team of prosecutors investigating the protest deaths.",
        "Tomás Gálvez was sworn in as interim attorney general.",
        "The board suspended the attorney general for six months.",
    ],
    "legislation": [
        "Congress approved an amnesty law for soldiers and police officers.",
        "The bill would exempt police officers from criminal liability when they use their weapons.",
        "President Boluarte signed the law into force on Wednesday.",
    ],
    "appeal": [
        "The colonel's defense appealed the pretrial detention ruling.",
        "Boluarte's lawyers filed a habeas corpus petition to annul the investigation.",
        "The relatives filed a motion for reconsideration of the archiving decision.",
    ],
}

CASES = [(t, s) for table in (SPANISH, ENGLISH) for t, sents in table.items() for s in sents]


def test_every_type_has_three_sentences_in_both_languages() -> None:
    for table in (SPANISH, ENGLISH):
        assert set(table) == set(MILESTONE_TYPES)
        assert all(len(s) >= 3 for s in table.values())


@pytest.mark.parametrize(("mtype", "sentence"), CASES)
def test_main_milestone_type(mtype: str, sentence: str) -> None:
    got = read_rules(sentence, "", published=PUBLISHED)
    assert got and got[0].type == mtype, [(m.type, m.evidence) for m in got]
    assert got[0].evidence and got[0].evidence in sentence


@pytest.mark.parametrize(("mtype", "sentence"), CASES[::5])
def test_sentence_in_body_gives_the_same_type(mtype: str, sentence: str) -> None:
    got = read_rules("Noticias del caso", sentence, published=PUBLISHED)
    assert got and got[0].type == mtype
