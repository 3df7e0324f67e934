# The counselling prompt (core/src/views/counselling.rs, docs/views.md).
# Never label a person or the relationship; state what was noticed.
# No phone numbers or named services: they differ by country, and an app
# that knows the user's region supplies them in its own catalog.

## The prompt itself

# Shown to both partners when the couple seem stuck.
counselling-message = Some things have been coming up again and again. Many couples find it helps to talk them through with a couples therapist, who can give the hard conversations a safe, steady place. This is only a suggestion, and coming back to the same things is a normal part of rebuilding trust.

# Shown only on the device of the partner whose own feeling of safety has
# stayed low; never on the other partner's device.
counselling-safety-message = Feeling safe has been hard for you for a few weeks now, and your safety comes first. Support that is just for you can help, and what follows is a place to start. Couples counselling is not advised while someone feels unsafe: it can wait until you feel safe. Only you see this; it comes from your own check-ins and is not shown on your partner's phone.

## What was noticed
## Variables: $topic, $what (the latest wording), $name (a member's name),
## $count (how many), $window_weeks, $measure (counselling-measure-*),
## $max (the score at or below which a week counts), $weeks (weeks in a row).

counselling-reason-topic = The topic “{ $topic }” has come up in { $count } questions over the last { $window_weeks } weeks.
counselling-reason-trigger = The same moment, “{ $what }”, has hurt again { $count } times in the last { $window_weeks } weeks.
counselling-reason-unheard = { $name } has said in { $count } check-ins over the last { $window_weeks } weeks that they did not feel listened to.
counselling-reason-pain = { $name }'s weekly { $measure } score has stayed at { $max } or below for { $weeks } weeks in a row.
counselling-reason-own-safety = Your weekly feeling-safe score has stayed at { $max } or below for { $weeks } weeks in a row.
counselling-measure-safety = feeling safe
counselling-measure-trust = trust
# A member whose name is not known.
counselling-someone = One partner

## Support for the partner who feels unsafe, in the order shown

counselling-resource-individual = An individual counsellor or therapist: someone who is there for you alone.
counselling-resource-support-service = A domestic abuse or family violence support service in your area. Many are free and confidential, and you can talk with them even if you are not sure what is happening.
counselling-resource-emergency = Your local emergency number, if you are in danger now.
counselling-resource-trusted-person = A friend or family member you trust.
