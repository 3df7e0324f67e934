# What the core proposes for the phone's notification (the lock screen):
# the same words whatever the partner did, so nobody who sees the screen
# learns what kind of thing happened (core/src/notice_gate.rs). Keep it
# free of any word about the records: no check-in, agreement, request,
# question, hard moment, phase or name.

os-notification-title = Kintsugi
os-notification-body = Something new in Kintsugi

# The in-app list of what the partner did (core/src/notify.rs): shown only
# inside the unlocked app, one sentence per kind with a count beside it.
# Fixed words: never a score, a word of a note or a name.

notice-checked-in = Your partner checked in.
notice-agreement-proposed = Your partner proposed an agreement.
notice-agreement-accepted = Your partner accepted an agreement.
notice-request-made = Your partner asked for something small.
notice-request-done = Your partner did something you asked for.
notice-request-acknowledged = Your partner answered something you did.
notice-disclosure = Your partner shared something with you.
notice-question-asked = Your partner has a question for when you are ready.
notice-question-response = Your partner responded to a question.
notice-trigger = Your partner noted a hard moment.
notice-trigger-repair = Your partner responded to a hard moment.
notice-appreciation = Your partner appreciated you.
notice-time-together = Your partner added something about time together.
notice-phase-changed = The recovery phase changed.
notice-offer-made = Your partner made an offer.
notice-commitment-update = Your partner updated a commitment.
notice-role-changed = Your partner changed their role.
notice-request-answered = Your partner answered a request.
notice-summary-prepared = Your partner prepared a summary for a therapist.
notice-words-in-summaries-changed = Your partner changed whether their words may appear in summaries.
