"""The annual report rendered for people: text in French, Dutch or English, and charts.

Reports are pure functions of (options, data): the figures are computed
first (`projections.figures`), then rendered by one Jinja2 template per
language, with Babel's Belgian number and date formats and plural rules.
"""
