"""The admin's read models of trainees: the trainee table, one trainee's record, the project
dashboard.
"""
