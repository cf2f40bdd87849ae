"""The year's figures: computed in SQL on the read models, as data, restated, over time."""
