"""The quiz as a learner clicks it: one ipywidgets box per question, with its Check button and feedback.

:meth:`mlops_lab.quiz.QuizView.widget` builds it; every click goes through the view, so a checked answer is
graded and recorded exactly as a headless answer is. Words come from :mod:`mlops_lab.i18n` in the view's language.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

from mlops_lab.i18n import message

if TYPE_CHECKING:
    from mlops_lab.quiz import Grade, QuizView


def _feedback_html(grade: Grade) -> str:
    import html

    colour = "#1a7f37" if grade.correct else ("#9a6700" if grade.score > 0 else "#cf222e")
    body = "<br>".join(html.escape(line) for line in grade.feedback.splitlines())
    return f'<div style="color:{colour}">{body}</div>'


def typed_number(text: str) -> float | None:
    """What a learner typed in a number box: ``None`` if nothing, else a float (a decimal comma is fine).

    Raises :class:`ValueError` for text that is not a number.
    """
    text = text.strip()
    return float(text.replace(",", ".")) if text else None


def build_widget(view: QuizView) -> Any:
    """One box per question: its options (or a number box), a Check button and the feedback, in the view's language."""
    import html

    import ipywidgets as widgets

    say = functools.partial(message, language=view.language)
    boxes = []
    for n, q in enumerate(view.bank.questions, 1):
        title = widgets.HTML(f"<b>{say('quiz.question', n=n)}</b> {html.escape(q.text)}")
        previous = view.grades.get(q.id)
        if q.type == "single":
            chooser = widgets.RadioButtons(
                options=[(f"{o.key}) {o.text}", o.key) for o in q.options],
                value=previous.answer if previous else None,
                layout=widgets.Layout(width="auto"),
            )
            read = lambda c=chooser: c.value  # noqa: E731
        elif q.type == "multiple":
            ticks = [
                widgets.Checkbox(
                    description=f"{o.key}) {o.text}",
                    value=bool(previous and o.key in previous.answer),
                    indent=False,
                    # Without an explicit width JupyterLab cuts long option texts off after a few words.
                    layout=widgets.Layout(width="auto"),
                )
                for o in q.options
            ]
            chooser = widgets.VBox(ticks)
            read = lambda t=ticks, opts=q.options: [o.key for o, c in zip(opts, t, strict=True) if c.value]  # noqa: E731
        else:
            # A text box that starts empty: a number box would start at 0 and answer a question whose answer is 0.
            chooser = widgets.Text(
                value=f"{previous.answer:g}" if previous else "",
                placeholder=say("quiz.number_hint"),
                description=say("quiz.answer"),
            )
            read = lambda c=chooser: typed_number(c.value)  # noqa: E731
        button = widgets.Button(description=say("quiz.check"), button_style="primary")
        feedback = widgets.HTML(_feedback_html(previous) if previous else "")

        def on_click(_: Any, qid: str = q.id, read: Any = read, feedback: Any = feedback) -> None:
            try:
                answer = read()
            except ValueError:
                feedback.value = f'<div style="color:#9a6700">{html.escape(say("quiz.not_a_number"))}</div>'
                return
            if answer in (None, []):
                feedback.value = f'<div style="color:#9a6700">{html.escape(say("quiz.pick"))}</div>'
                return
            try:
                feedback.value = _feedback_html(view.answer(qid, answer))
            except ValueError as exc:
                feedback.value = f'<div style="color:#9a6700">{html.escape(str(exc))}</div>'

        button.on_click(on_click)
        boxes.append(widgets.VBox([title, chooser, button, feedback], layout=widgets.Layout(margin="0 0 12px 0")))
    if view.ignored:
        boxes.insert(0, widgets.HTML(f'<div style="color:#9a6700">{html.escape(view.ignored_note)}</div>'))
    return widgets.VBox(boxes)
