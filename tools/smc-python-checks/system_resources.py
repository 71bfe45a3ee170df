"""By-hand check of Herald's system resources with the real smc-python (not run by CI: smc-python
is on no registry CI reaches). Against a fresh server:

    ./herald serve --port 18096 --api-key test-key-12345678 --data mem --admin-api &
    PYTHONPATH=<smc-python checkout>:<smc-python checkout>/smc-monitoring python3 tools/smc-python-checks/system_resources.py

It needs openssl (a CA certificate is made for the CA import) and writes to a temporary directory.
Each step prints what it read; an exception is a failure.
"""
import os, subprocess, tempfile, zipfile
from smc import session
from smc.administration.system import System
from smc.elements.network import Host
from smc.elements.group import Group
from smc.elements.situations import Situation
from smc.administration.user_auth.users import InternalUser, InternalUserGroup
session.login(url='http://127.0.0.1:18096', api_key='test-key-12345678', api_version='7.2')
W = tempfile.mkdtemp()
subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", os.path.join(W, "ca.key"),
                "-out", os.path.join(W, "ca.pem"), "-days", "30", "-subj", "/CN=Hand Test CA/O=Herald",
                "-addext", "basicConstraints=critical,CA:TRUE"], check=True, capture_output=True)
s = System()
# massive delete
h1 = Host.create('mdel-1', '10.9.0.1'); h2 = Host.create('mdel-2', '10.9.0.2')
g = Group.create('mdel-g', members=[h1])
try:
    s.massive_delete([h1, h2])
    print('massive_delete referenced: NOT refused')
except Exception as e:
    print('massive_delete referenced refused:', type(e).__name__, str(e)[:120])
print('h2 still there:', len(list(Host.objects.filter('mdel-2', exact_match=True))))
s.massive_delete([g, h1, h2])
print('after massive_delete:', len(list(Host.objects.filter('mdel-', exact_match=False))))
# upcoming events
mlc = Situation('MLC Certificate expires soon')
host = Host.create('ue-host', '10.9.1.1')
r = session.session.post('http://127.0.0.1:18096/herald/admin/upcoming_events', json={'situation': mlc.href, 'impacted_element': host.href, 'info': 'soon'})
print('raise:', r.status_code)
for ev in s.upcoming_event():
    print('event:', ev)
pol = s.upcoming_event_policy()
print('policy entries:', len(pol))
session.session.put(s.get_relation('upcoming_event_policy'), json={'entries': [{'situation': mlc.href, 'threshold_in_days': 30, 'enabled': True}]})
pol = s.upcoming_event_policy()
for e in pol:
    print('policy:', e); e.enabled = False
s.update_upcoming_event_policy(pol)
print('events with it disabled:', len(s.upcoming_event()))
pol = s.upcoming_event_policy()
for e in pol: e.enabled = True
s.update_upcoming_event_policy(pol)
s.update_upcoming_event_ignore_settings([mlc])
print('ignored:', [str(x) for x in s.upcoming_event_ignore_settings().entries], 'events:', len(s.upcoming_event()))
# CAs
s.import_new_certificate_authority_certificate(os.path.join(W, 'ca.pem'))
cas = list(s.smc_certificate_authority())
print('CAs:', cas)
ca = cas[0]
print('state:', ca.certificate_state, 'pem starts:', ca.export_certificate()[:27])
ca.un_trust()
ca = list(s.smc_certificate_authority())[0]
print('state after un_trust:', ca.certificate_state)
# LDIF
grp = InternalUserGroup.create('ldif-group', comment='group')
InternalUser.create('ldif-user', user_group=[grp], comment='user')
s.export_ldif_elements(os.path.join(W, 'ldif.zip'))
z = zipfile.ZipFile(os.path.join(W, 'ldif.zip')); print('ldif zip:', z.namelist()); print(z.read(z.namelist()[0]).decode()[:400])
open(os.path.join(W, 'new.ldif'),'w').write('dn: cn=ldif-new,dc=stonegate\nobjectClass: inetOrgPerson\ncn: ldif-new\nsn: new\ndescription: from ldif\n')
s.import_ldif_elements(os.path.join(W, 'new.ldif'))
print('imported user:', InternalUser('ldif-new').comment, InternalUser('ldif-new').unique_id)
open(os.path.join(W, 'bad.ldif'),'w').write('garbage\n')
try:
    s.import_ldif_elements(os.path.join(W, 'bad.ldif')); print('bad ldif NOT refused')
except Exception as e:
    print('bad ldif:', type(e).__name__, str(e)[:150])
r = session.session.post('http://127.0.0.1:18096/herald/admin/packages', json={'type': 'update_package', 'package_id': 1713})
print('publish', r.status_code)
pkg = s.update_package().get_contains('1713')
pkg.download(wait_for_finish=True)
pkg = s.update_package().get_contains('1713')
t = pkg.activate(wait_for_finish=True); t.wait()
print('activate:', t.last_message())
snaps = list(s.system_snapshots())
print('snapshots:', snaps)
snaps[0].download(os.path.join(W, 'snap.zip'))
z = zipfile.ZipFile(os.path.join(W, 'snap.zip')); print(z.namelist(), len(z.read('exported_data.xml')), 'bytes; package_id', snaps[0].data.get('package_id'))
Host.create('enc-host', '10.77.0.1')
s.export_elements(os.path.join(W, 'enc.zip'), typeof='nw', file_password='pw-123456')
i = zipfile.ZipFile(os.path.join(W, 'enc.zip')).infolist()[0]
print('encrypted export:', i.filename, bool(i.flag_bits & 1))
Host('enc-host').delete()
try:
    s.import_elements(os.path.join(W, 'enc.zip')); print('import without password: NOT refused')
except Exception as e:
    print('import without password:', type(e).__name__, str(e)[:100])
s.import_elements(os.path.join(W, 'enc.zip'), file_password='pw-123456')
print('imported with the password:', [h.name for h in Host.objects.filter('enc-host', exact_match=True)])
print('massive_license_bind ->', s.massive_license_bind)
print('upcoming', list(s.upcoming_event()))
print('banned', s.temporary_banned_source_ip_statuses)
s.unlock_temporary_banned_source_ip(override_source_ip='127.0.0.1', unlock_reason='hand test')
print('unlocked')
session.logout()
