import math


def fibonacci(n):
    


def area(radius):
    return math.pi * radius ** 2
