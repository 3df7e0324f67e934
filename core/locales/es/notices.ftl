# Lo que el núcleo propone para la notificación del teléfono (la pantalla
# de bloqueo): las mismas palabras haga lo que haga la pareja, para que
# nadie que vea la pantalla sepa qué ha pasado (core/src/notice_gate.rs).
# Sin ninguna palabra sobre los registros: ni check-in, ni acuerdo, ni
# petición, ni pregunta, ni momento difícil, ni fase, ni nombre.

os-notification-title = Kintsugi
os-notification-body = Hay algo nuevo en Kintsugi

# La lista de la app con lo que hizo la pareja (core/src/notify.rs): solo
# dentro de la app desbloqueada, una frase por tipo con un número al lado.
# Palabras fijas: nunca una puntuación, una palabra de una nota ni un nombre.
# «Tu pareja» no marca género: mantenlo así.

notice-checked-in = Tu pareja hizo su check-in.
notice-agreement-proposed = Tu pareja propuso un acuerdo.
notice-agreement-accepted = Tu pareja aceptó un acuerdo.
notice-request-made = Tu pareja te pidió algo pequeño.
notice-request-done = Tu pareja hizo algo que le pediste.
notice-request-acknowledged = Tu pareja respondió a algo que hiciste.
notice-disclosure = Tu pareja compartió algo contigo.
notice-question-asked = Tu pareja tiene una pregunta para cuando sea tu momento.
notice-question-response = Tu pareja respondió a una pregunta.
notice-trigger = Tu pareja anotó un momento difícil.
notice-trigger-repair = Tu pareja respondió a un momento difícil.
notice-appreciation = Tu pareja te expresó su aprecio.
notice-time-together = Tu pareja añadió algo sobre el tiempo compartido.
notice-phase-changed = La fase de recuperación cambió.
notice-offer-made = Tu pareja hizo un ofrecimiento.
notice-commitment-update = Tu pareja actualizó un compromiso.
notice-role-changed = Tu pareja cambió su rol.
notice-request-answered = Tu pareja respondió a una petición.
notice-summary-prepared = Tu pareja preparó un resumen para la terapia.
notice-words-in-summaries-changed = Tu pareja cambió si sus palabras pueden aparecer en los resúmenes.
