"""Practice, assessment and evaluation: quizzes, attempts, question banks and their xlsx, item
analysis and reports.
"""
