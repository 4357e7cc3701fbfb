"""Who is signed in: trainee sign-in, binding and tokens, admin sign-in, sessions and accounts,
privacy consent.
"""
