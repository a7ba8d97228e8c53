"""Staff accounts of the admin (``/beheer/``): a lockout of the admin login (django-axes, per
username and client address) and two-factor authentication (django-otp: TOTP with one-time
recovery codes), required when ``STAFF_TWO_FACTOR_REQUIRED`` is on (the default with DEBUG off).

Processors never see any of it: their login has its own lockout (onboarding.limits) and axes is
confined to the admin's login (:mod:`staffauth.lockout`).
"""
