# What the core proposes for the phone's notification (the lock screen):
# the same words whatever the partner did, so nobody who sees the screen
# learns what kind of thing happened (core/src/notice_gate.rs). Keep it
# free of any word about the records: no check-in, agreement, request,
# question, hard moment, phase or name.

os-notification-title = Kintsugi
os-notification-body = Something new in Kintsugi
