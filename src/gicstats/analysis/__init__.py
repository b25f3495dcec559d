"""The analysis stage: indicators computed from the corpus, and the charts drawn from them."""
