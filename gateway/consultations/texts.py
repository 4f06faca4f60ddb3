"""What citizens read about consultations, in Persian and English (Persian digits in Persian), and
the check that a poll's screen fits one USSD page, by the same budget the flows are checked with.

The USSD screen of a poll is an input prompt (gateway's `polls` flow, node `ask`): the question,
its options one a line, and the engine's back / home line under them. A prompt is never paged, so
each language's screen must fit one page whole: `screen_problems` says which does not, and by how much.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from flows import phrases
from flows.graphemes import fitting_prefix
from flows.paging import compose
from flows.reply import Choice
from flows.texts import LocalisedText, pick

PageBudget = Callable[[str], tuple[int, int]]
"""(characters used, limit) of one USSD page (gateway.flowfiles.check_context's `page_budget`)."""

LIST_LABEL = 28
"""Characters of a question shown in the list of open polls (the whole question comes with its options)."""

NONE_OPEN: LocalisedText = {"fa": "اکنون نظرسنجی بازی برای شما نیست.", "en": "No consultation is open for you now."}
COUNTED: LocalisedText = {"fa": "سپاس؛ نظر شما ثبت شد.", "en": "Thank you: your answer is counted."}
ALREADY: LocalisedText = {"fa": "شما پیش‌تر به این نظرسنجی پاسخ داده‌اید. سپاس.",
                          "en": "You have already answered this consultation. Thank you."}
NOT_YET: LocalisedText = {"fa": "این نظرسنجی هنوز باز نشده است.", "en": "This consultation is not open yet."}
CLOSED: LocalisedText = {"fa": "این نظرسنجی بسته شده است. سپاس.", "en": "This consultation has closed. Thank you."}
NOT_FOUND: LocalisedText = {"fa": "نظرسنجی بازی با شماره {id} برای شما نیست.", "en": "No open consultation {id} is there for you."}
BAD_OPTION: LocalisedText = {"fa": "گزینه {option} نیست؛ یکی از ۱ تا {count} را بفرستید.",
                             "en": "There is no option {option}; send one from 1 to {count}."}
NO_PHONE: LocalisedText = {"fa": "برای نظر دادن، نخست شماره تلفن خود را بفرستید (/verify).",
                           "en": "To answer, first share your phone number (/verify)."}
LIST_HEAD: LocalisedText = {"fa": "نظرسنجی‌ها:", "en": "Consultations:"}
SMS_POLL: LocalisedText = {"fa": "نظرسنجی {id}: {screen}\nپاسخ: «نظر {id} شماره گزینه»",
                           "en": "Consultation {id}: {screen}\nReply POLL {id} <option>"}
SMS_USAGE: LocalisedText = {"fa": "برای پاسخ «نظر شماره‌نظرسنجی شماره‌گزینه» بفرستید، مثلا: نظر ۳ ۲",
                            "en": "To answer send POLL <consultation> <option>, e.g. POLL 3 2"}



def screen(question: Mapping[str, str], options: Sequence[Mapping[str, str]], lang: str) -> str:
    """The question and its numbered options, as every channel shows them."""
    return compose(pick(question, lang), [Choice(str(n), pick(o, lang)) for n, o in enumerate(options, 1)], lang)


def listing(questions: Sequence[Mapping[str, str]], lang: str) -> str:
    """The open polls as a numbered list, each question cut to `LIST_LABEL` characters."""
    def short(text: str) -> str:
        keep = fitting_prefix(text, lambda part: len(part) <= LIST_LABEL)
        return text if keep == len(text) else text[:keep].rstrip() + "…"
    return compose(pick(LIST_HEAD, lang), [Choice(str(n), short(pick(q, lang))) for n, q in enumerate(questions, 1)], lang)


def screen_problems(question: Mapping[str, str], options: Sequence[Mapping[str, str]], languages: Sequence[str],
                    budget: PageBudget) -> list[str]:
    """Each language whose USSD screen does not fit one page, with the characters over: empty when all fit."""
    problems = []
    for lang in languages:
        nav = [Choice("0", pick(phrases.BACK, lang), nav=True), Choice("00", pick(phrases.HOME, lang), nav=True)]
        used, limit = budget(compose(screen(question, options, lang), nav, lang))
        if used > limit:
            problems.append(f"the {lang} screen (question, options and the back/home line) takes {used} characters of a USSD page's"
                            f" {limit}: shorten it by {used - limit}")
    return problems
