# La sugerencia de terapia (core/src/views/counselling.rs, docs/views.md).
# Nunca etiquetar a una persona ni a la relación; decir lo que se observó.
# Sin números de teléfono ni servicios con nombre: cambian según el país, y
# una app que conoce la región de quien la usa los pone en su propio catálogo.
# Lenguaje sin marca de género («tu pareja», «una persona»): mantenlo así.

## La sugerencia

# Se muestra a las dos personas cuando la pareja parece estancada.
counselling-message = Algunos temas vuelven a aparecer una y otra vez. A muchas parejas les ayuda hablarlos en terapia de pareja, que puede dar a las conversaciones difíciles un lugar seguro y estable. Es solo una sugerencia, y volver a los mismos temas es una parte normal de reconstruir la confianza.

# Solo en el dispositivo de la persona cuya sensación de seguridad sigue
# baja; nunca en el de su pareja.
counselling-safety-message = Sentirte a salvo te está costando desde hace unas semanas, y tu seguridad es lo primero. Un apoyo solo para ti puede ayudar, y lo que sigue es un punto de partida. No se aconseja la terapia de pareja mientras alguien no se siente a salvo: puede esperar hasta que te sientas a salvo. Solo tú ves esto; sale de tus propios check-ins y no se muestra en el teléfono de tu pareja.

## Lo que se observó
## Variables: $topic, $what (la redacción más reciente), $name (el nombre de
## una persona), $count (cuántas veces), $window_weeks, $measure
## (counselling-measure-*), $max (la puntuación a partir de la cual, o por
## debajo, cuenta una semana), $weeks (semanas seguidas).

counselling-reason-topic = El tema «{ $topic }» ha salido en { $count } preguntas durante las últimas { $window_weeks } semanas.
counselling-reason-trigger = El mismo momento, «{ $what }», ha vuelto a doler { $count } veces en las últimas { $window_weeks } semanas.
counselling-reason-unheard = { $name } ha dicho en { $count } check-ins de las últimas { $window_weeks } semanas que no sintió que se le escuchara.
counselling-reason-pain = { $name } ha mantenido su puntuación semanal de { $measure } en { $max } o menos durante { $weeks } semanas seguidas.
counselling-reason-own-safety = Tu puntuación semanal de seguridad se ha mantenido en { $max } o menos durante { $weeks } semanas seguidas.
counselling-measure-safety = seguridad
counselling-measure-trust = confianza
# Una persona cuyo nombre no se conoce.
counselling-someone = Una persona de la pareja

## Apoyo para quien no se siente a salvo, en el orden en que se muestra

counselling-resource-individual = Apoyo psicológico individual: una persona profesional que está ahí solo para ti.
counselling-resource-support-service = Un servicio de apoyo contra la violencia doméstica o familiar en tu zona. Muchos son gratuitos y confidenciales, y puedes hablar con ellos aunque no tengas claro lo que está pasando.
counselling-resource-emergency = El número de emergencias de tu país, si estás en peligro ahora.
counselling-resource-trusted-person = Una amistad o alguien de tu familia en quien confíes.
