"""The Loket.nl boundary: everything that knows the SOAP contract lives in this package.

The rest of the portal uses :func:`get_client`, :func:`diagnose`, :class:`Credentials`, the
dataclasses of :mod:`locket_client.types` and the errors of :mod:`locket_client.errors`.
Importing this package is cheap: the zeep client is built on first use.

What lives where: ``client`` (the zeep client), ``answers`` (the bulk operations' answers read
with lxml, a column at a time), ``types`` (its answers as dataclasses), ``errors``
(one typed error per fault), ``problems`` (the one catalogue of problem codes and their texts,
through gettext), ``diagnose`` (a credential check explained), ``identifiers`` (the 11-test),
``wsdl`` (the shipped WSDL and :data:`~locket_client.wsdl.WSDL_PATH`), ``sandbox`` (a local
server speaking the contract; its ``__init__`` says what lives where in it).

It is a Django app of the portal (settings for the endpoint and timeout, gettext for the texts)
but imports no other app; an import contract in ``pyproject.toml`` keeps it so.

Glossary
--------
Code and plumbing are English. Dutch stays only for the nouns of the Loket.nl contract and the
a.s.r. manual, written as the contract writes them (element and operation names, fault codes,
environment codes) or in snake_case for a field named after a contract element:

============================  ==================================================================
Dutch (contract / manual)     English meaning
============================  ==================================================================
Omgevingscode                 code of a customer's Loket.nl environment (first credential)
Gebruikersnaam, Wachtwoord    username, password (the other two credentials)
Authenticatie                 the SOAP header carrying the three credentials
Webservicegebruiker           Loket.nl user of the kind "Webservice gebruiker" (Soort gebruiker)
Webservicepartij              the third party a webservicegebruiker works for (Benefits-Plaza)
Functie, Entiteit             function and entity a webservicepartij is authorised for
Team                          the link that makes a werkgever visible to a user
Werkgever                     employer (``WerkgeverId``, ``Werkgevernummer``, ``Naam``)
KvkNummer                     Chamber of Commerce registration number (8 digits)
Loonheffingennummer           payroll tax number (``123456782L01``: 9 digits, L, subnumber)
Werknemer                     employee (``Bsn``: citizen service number, ``Voorletters``:
                              initials, ``Voorvoegsel``: name prefix, ``Achternaam``: surname)
Dienstverband                 employment (``Inkomstenverhoudingnummer``: income relationship no.)
Loongegevens                  pay data of one period (``Brutoloon``: gross, ``SvLoon``: social
                              security wage, ``FiscaalLoon``: taxable wage, ``Vakantiegeld``:
                              holiday allowance, ``VerloondeUren``: hours paid)
Verloningsperiode             pay period kind (``maand``, ``4weken``, ``week``)
Jaar, Periode, Peildatum      year, period number, reference date
Verlof                        leave (``Verlofsoort``: kind, ``Opgebouwd``: accrued,
                              ``Opgenomen``: taken, ``Saldo``: balance)
ControleerToegang             operation "check access"
GeefWerkgevers, ...           operations "give employers", "... employees", "... employments",
                              "... pay data", "... leave"
LoketFout, Code, Melding      the fault detail: fault code and its (Dutch) message
OMGEVING_ONBEKEND             fault: unknown omgevingscode
INLOG_ONGELDIG                fault: unknown user or wrong password
GEEN_WEBSERVICEGEBRUIKER      fault: the user is not a webservicegebruiker
GEBRUIKER_GEBLOKKEERD         fault: the user is blocked
NIET_GEAUTORISEERD            fault: the webservicepartij lacks the function or entity
NIET_GEVONDEN                 fault: not found (or not visible to the user)
ONGELDIGE_INVOER              fault: malformed request
STORING                       fault (and sandbox environment): the service is down
TRAAG                         sandbox environment that answers after a delay ("slow")
============================  ==================================================================
"""
