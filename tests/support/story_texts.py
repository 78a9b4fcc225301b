"""Realistic reports for story grouping: one prosecutor decision as five outlets wrote it, and other
events of the same case that share its vocabulary (Juliaca, Boluarte, víctimas, 9 de enero).

The outlets rewrite the facts in their own words on purpose: different headlines, different leads
(one opens with the victims' reaction), the case background told differently, details in another order.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Report:
    source_id: str
    source_name: str
    url: str
    title: str
    text: str


# One event: the prosecutor extends the investigation of Boluarte and her ministers by eight months.
SAME_DECISION: tuple[Report, ...] = (
    Report(
        "larepublica", "La República",
        "https://larepublica.pe/politica/2026/11/24/fiscalia-amplia-investigacion-boluarte-juliaca",
        "Fiscalía amplía por ocho meses la investigación contra Dina Boluarte por la masacre de Juliaca",
        "La Fiscalía de la Nación amplió por ocho meses la investigación preliminar contra la expresidenta "
        "Dina Boluarte, el ex primer ministro Alberto Otárola y el exministro del Interior Víctor Rojas "
        "Herrera por los presuntos delitos de homicidio calificado y lesiones graves en agravio de las "
        "víctimas de las protestas en Juliaca.\n\n"
        "La disposición fiscal, firmada el 21 de noviembre de 2026, sostiene que aún faltan diligencias "
        "clave: la pericia balística de los proyectiles recuperados, las declaraciones de los mandos "
        "policiales que dirigieron el operativo en el aeropuerto Inca Manco Cápac y el análisis de las "
        "comunicaciones entre el Ejecutivo y la Policía Nacional.\n\n"
        "El 9 de enero de 2023, 18 personas murieron en los alrededores del aeropuerto durante las "
        "protestas contra el gobierno de Boluarte. La carpeta fiscal 023-2023 fue declarada compleja.\n\n"
        "Según la disposición, el nuevo plazo vence en julio de 2027 y el despacho deberá decidir "
        "entonces si formaliza la investigación preparatoria o archiva el caso.",
    ),
    Report(
        "elcomercio", "El Comercio",
        "https://elcomercio.pe/politica/ministerio-publico-prorroga-indagacion-boluarte-otarola-noticia/",
        "Ministerio Público prorroga indagación a Boluarte y Otárola por muertes en protestas de Puno",
        "El Ministerio Público decidió prorrogar por un plazo adicional de ocho meses la indagación "
        "preliminar que sigue contra Dina Boluarte, Alberto Otárola y Víctor Rojas Herrera por las muertes "
        "ocurridas durante las manifestaciones en Puno.\n\n"
        "De acuerdo con la disposición fiscal del 21 de noviembre, el despacho a cargo de la carpeta "
        "023-2023 todavía necesita completar la pericia balística, recibir las declaraciones de los "
        "mandos policiales del operativo y analizar las comunicaciones entre el Ejecutivo y la Policía "
        "Nacional.\n\n"
        "La investigación es por homicidio calificado y lesiones graves. En Juliaca, el 9 de enero de "
        "2023, fallecieron 18 civiles cerca del aeropuerto Inca Manco Cápac.\n\n"
        "Con la ampliación, el plazo se extiende hasta julio de 2027, cuando la fiscalía deberá "
        "formalizar la investigación preparatoria o archivarla.",
    ),
    Report(
        "infobae", "Infobae",
        "https://www.infobae.com/peru/2026/11/24/caso-juliaca-fiscalia-extiende-plazo-investigacion/",
        "Caso Juliaca: Fiscalía extiende plazo de investigación preliminar contra expresidenta y exministros",
        "La Fiscalía peruana extendió en ocho meses el plazo de la investigación preliminar abierta por "
        "las muertes de 18 personas en Juliaca, Puno, el 9 de enero de 2023. Entre los investigados "
        "figuran la expresidenta Dina Boluarte, Alberto Otárola, quien fue presidente del Consejo de "
        "Ministros, y el exministro del Interior Víctor Rojas Herrera.\n\n"
        "Según el documento, firmado el 21 de noviembre de 2026, todavía no concluye el peritaje de "
        "balística, no han declarado los jefes policiales que estuvieron al frente del operativo y sigue "
        "pendiente la revisión de las llamadas y mensajes entre el Gobierno y la PNP.\n\n"
        "Los delitos investigados son homicidio calificado y lesiones graves. La carpeta fiscal "
        "023-2023 fue declarada compleja.\n\n"
        "El plazo ampliado vence en julio de 2027; entonces la fiscalía decidirá si formaliza "
        "investigación preparatoria o si archiva.",
    ),
    Report(
        "wayka", "Wayka",
        "https://wayka.pe/ocho-meses-mas-fiscalia-sigue-investigando-a-boluarte-por-juliaca/",
        "Ocho meses más: la Fiscalía seguirá investigando a Boluarte por los 18 asesinados en Juliaca",
        "Casi cuatro años después de la masacre del 9 de enero de 2023 en Juliaca, la Fiscalía decidió "
        "ampliar ocho meses más la investigación preliminar contra Dina Boluarte, Alberto Otárola y "
        "Víctor Rojas Herrera por homicidio calificado y lesiones graves.\n\n"
        "En la disposición fiscal, fechada el 21 de noviembre, el despacho admite que no ha completado "
        "la pericia balística ni ha recibido las declaraciones de los mandos policiales del operativo en "
        "el aeropuerto. Tampoco ha terminado de analizar las comunicaciones entre el Ejecutivo y la "
        "Policía Nacional.\n\n"
        "Dieciocho personas fueron asesinadas aquel día en Juliaca. La carpeta 023-2023 sigue en etapa "
        "preliminar y el nuevo plazo vence en julio de 2027.",
    ),
    Report(
        "losandes", "Los Andes",
        "https://www.losandes.com.pe/2026/11/24/deudos-del-9-de-enero-saludan-ampliacion-investigacion/",
        "Deudos del 9 de enero saludan ampliación de la investigación fiscal contra Dina Boluarte",
        "Los familiares de las víctimas del 9 de enero en Juliaca saludaron la decisión de la Fiscalía de "
        "ampliar por ocho meses la investigación preliminar contra Dina Boluarte, Alberto Otárola y "
        "Víctor Rojas Herrera por homicidio calificado y lesiones graves, aunque pidieron celeridad.\n\n"
        "La disposición fiscal del 21 de noviembre señala que faltan la pericia balística, las "
        "declaraciones de los mandos policiales que dirigieron el operativo y el análisis de las "
        "comunicaciones entre el Ejecutivo y la Policía Nacional.\n\n"
        "El 9 de enero de 2023 murieron 18 personas en Juliaca durante las protestas. La carpeta fiscal "
        "023-2023 tiene ahora plazo hasta julio de 2027 para que la fiscalía formalice la investigación "
        "o la archive.",
    ),
)

# Other events of the same case, written with the same background and names.
CONGRESS_ARCHIVES = Report(
    "rpp", "RPP",
    "https://rpp.pe/politica/congreso/subcomision-archiva-denuncia-constitucional-boluarte-juliaca-noticia",
    "Subcomisión de Acusaciones Constitucionales archiva denuncia contra Dina Boluarte por muertes en Juliaca",
    "La Subcomisión de Acusaciones Constitucionales del Congreso aprobó archivar la denuncia "
    "constitucional 509 presentada contra Dina Boluarte por las muertes ocurridas durante las protestas "
    "en Juliaca. El informe de calificación la declaró improcedente con once votos a favor y cuatro en "
    "contra.\n\n"
    "La denuncia, presentada por una congresista de izquierda, atribuía a Boluarte responsabilidad por "
    "la muerte de 18 personas el 9 de enero de 2023 en las inmediaciones del aeropuerto Inca Manco "
    "Cápac. El informe sostiene que no se acreditó una infracción constitucional.\n\n"
    "Los abogados de las víctimas anunciaron que pedirán la reconsideración ante la Comisión "
    "Permanente. La investigación de la Fiscalía sigue su curso por separado.",
)
CONGRESS_ARCHIVES_2 = Report(
    "exitosa", "Exitosa",
    "https://www.exitosanoticias.pe/politica/congreso-blinda-a-boluarte-archivan-denuncia-juliaca-n1234",
    "Congreso blinda a Boluarte: archivan denuncia constitucional por la masacre de Juliaca",
    "Con once votos a favor y cuatro en contra, la Subcomisión de Acusaciones Constitucionales declaró "
    "improcedente la denuncia constitucional 509 contra Dina Boluarte por las muertes en Juliaca y la "
    "envió al archivo.\n\n"
    "El informe de calificación concluye que no se acreditó una infracción constitucional de la "
    "expresidenta. La denuncia le atribuía responsabilidad por los 18 fallecidos del 9 de enero de 2023 "
    "cerca del aeropuerto Inca Manco Cápac.\n\n"
    "Los abogados de los deudos adelantaron que presentarán una reconsideración ante la Comisión "
    "Permanente del Congreso.",
)
POLICE_FORMALIZED = Report(
    "larepublica", "La República",
    "https://larepublica.pe/politica/2026/11/20/fiscalia-formaliza-investigacion-policias-juliaca",
    "Fiscalía formaliza investigación contra mandos policiales por las muertes en Juliaca",
    "La Fiscalía formalizó la investigación preparatoria contra cinco mandos de la Policía Nacional por "
    "homicidio calificado en agravio de las víctimas del 9 de enero de 2023 en Juliaca. Entre ellos "
    "figuran el general Julio Santos Mauricio Contreras y el coronel Alberto Miguel Rojas Méndez, que "
    "dirigieron el operativo en el aeropuerto Inca Manco Cápac.\n\n"
    "El fiscal Guido Pilco Delgado sustentó la decisión en los protocolos de necropsia y en los videos "
    "que muestran disparos de armas de fuego contra manifestantes. El juzgado de investigación "
    "preparatoria de Puno deberá fijar fecha para la audiencia.\n\n"
    "La investigación contra la expresidenta Dina Boluarte y sus ministros sigue en etapa preliminar.",
)
VICTIMS_MARCH = Report(
    "wayka", "Wayka",
    "https://wayka.pe/familias-de-victimas-de-juliaca-marchan-en-lima/",
    "Familias de las víctimas de Juliaca marchan en Lima para exigir justicia",
    "Decenas de familiares de las víctimas de la masacre del 9 de enero de 2023 en Juliaca llegaron a "
    "Lima para marchar hasta el Palacio de Justicia. La Asociación de Mártires y Víctimas del 9 de Enero "
    "reclamó que, casi cuatro años después, nadie haya sido sancionado por las 18 muertes.\n\n"
    "Raúl Samillán, presidente de la asociación, pidió a la Fiscalía y al Congreso que dejen de dilatar "
    "los procesos contra Dina Boluarte y los mandos policiales. Los deudos cargaron las fotografías de "
    "sus hijos y hermanos y recordaron al joven médico Marco Antonio Samillán Sanga.",
)
IACHR_HEARING = Report(
    "cidh", "CIDH",
    "https://www.oas.org/es/cidh/jsForm/?File=/es/cidh/prensa/comunicados/2026/300.asp",
    "CIDH celebra audiencia pública sobre la impunidad de las muertes en protestas en Perú",
    "La Comisión Interamericana de Derechos Humanos celebró una audiencia pública sobre el seguimiento de "
    "las recomendaciones de su informe sobre las protestas sociales en Perú. Las organizaciones de "
    "víctimas expusieron la falta de avances en las investigaciones por los hechos de Juliaca del 9 de "
    "enero de 2023, donde murieron 18 personas.\n\n"
    "El Estado peruano informó sobre las diligencias de la Fiscalía y las denuncias constitucionales "
    "contra Dina Boluarte. La CIDH pidió información detallada sobre los plazos de la investigación.",
)

OTHER_EVENTS: tuple[Report, ...] = (CONGRESS_ARCHIVES, POLICE_FORMALIZED, VICTIMS_MARCH, IACHR_HEARING)
