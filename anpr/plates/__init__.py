"""Chilean plate formats, check digits and grammar-constrained repair."""
