"""The demo (`smf demo`, `make run`), beside the command line that runs it: dataset.py loads the
generated month, vee.py its VEE case, alarms.py the seeded alarms, ccee.py the submission to our
emulator, fleet.py an emulated fleet read over the protocol."""
