"""a.s.r.'s customer register: the employers a.s.r. insures, their policies and the contact
address a.s.r. holds for each policy. An employer's request for the salary link is verified
against it (see ``employers.services.requests``); staff import it from a CSV file."""
