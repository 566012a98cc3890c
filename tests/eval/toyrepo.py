"""The two files of the toy repository that the evals at cursors run on (conftest.py's `repo_root`)."""

SHAPES = '''"""Shapes."""
import math


def area(radius):
    """The area."""
    squared = radius ** 2
    return math.pi * squared


class Shape:
    def __init__(self, name):
        self.name = name

    def describe(self):
        # a comment line
        text = f"{self.name} of area {area(1)}"
        return text.upper()
'''
MAIN = """from shapes import Shape


def main(names):
    shapes = [Shape(name) for name in names]
    for shape in shapes:
        print(shape.describe())
    return len(shapes)
"""
