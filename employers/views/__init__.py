"""The employer side's pages, split by who uses them (as ``onboarding.views``):

- :mod:`.employer`: the employer's request form and its confirmation page (public).
- :mod:`.verify`: the confirmation link mailed to the address a.s.r.'s register holds (public).
- :mod:`.werkgevers`: the processor's Werkgevers page: its employers, registering them, and
  re-checking a link after a fix (login required).
- :mod:`.werkgever_request`: the processor's view of one verified request (who asked, verified
  how, the link) and declining it (login required; only its own requests).
- :mod:`.registration_result`: the message after a registration on that page, worded from what
  became of the new links when the page renders.
"""
