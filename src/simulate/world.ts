/**
 * The simulated cloud: users, projects, groups, domains and roles with Keystone-shaped ids (32 hex
 * digits), the addresses and clients they call from, and the role assignments granted so far. The
 * traffic generators read and change it, so a user is deleted only after it existed, a revoked
 * role was granted before, and a user who logged in (whose name the exporter then learned) can be
 * seen deleted by name.
 */
import type { Random } from './random.js';

export interface User {
  readonly id: string;
  readonly name: string;
  readonly domainId: string;
  projectId: string;
  /** Wrong passwords in a row; the next login after 3 is refused as locked (Keystone's lockout). */
  failures: number;
}

export interface Named {
  readonly id: string;
  readonly name: string;
}

export interface Assignment {
  readonly role: Named;
  readonly actor: { readonly kind: 'user' | 'group'; readonly id: string };
  readonly scope: { readonly kind: 'project' | 'domain'; readonly id: string };
  readonly inherited: boolean;
}

/**
 * The role ids of the simulated cloud. Fixed, as a real cloud's are for its lifetime, so the Loki
 * rule for admin grants (dashboards/loki-rules/) can name the admin role's id in the demo.
 */
export const SIMULATED_ROLES: readonly Named[] = [
  { id: 'a1d3f0e6c2b94b6f9e0d7c5a4b3e2f10', name: 'admin' },
  { id: '5c8e2a7d9b1f4e3a8c6d0b2f4a6e8c13', name: 'member' },
  { id: '9f2b4d6e8a0c4e1f3b5d7a9c1e3f5b27', name: 'reader' },
];

export const ADMIN_ROLE = SIMULATED_ROLES[0]!;

const FIRST = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'grace', 'heidi', 'ivan', 'judy', 'mallory', 'nia', 'oscar', 'peggy', 'rupert', 'sybil', 'trent', 'victor', 'walter', 'yara'];
const TEAMS = ['web', 'data', 'ml', 'ci', 'billing', 'search', 'media', 'edge', 'backup', 'mail'];
const STAGES = ['prod', 'staging', 'dev', 'test'];

/** Callers: documentation address ranges (RFC 5737), so nothing here is anyone's real address. */
const CLIENT_NETS = ['192.0.2.', '198.51.100.'];
export const AGENTS: readonly string[] = [
  'openstacksdk/1.0.1 keystoneauth1/5.1.2 python-requests/2.31.0 CPython/3.11.4',
  'openstacksdk/0.101.0 keystoneauth1/5.0.0 python-requests/2.28.1 CPython/3.11.2',
  'python-openstackclient keystoneauth1/5.6.0 python-requests/2.32.3 CPython/3.12.3',
  'gophercloud/v2.1.0',
  'Terraform/1.9.5 terraform-provider-openstack/2.1.0',
  'Mozilla/5.0 (X11; Linux x86_64) Horizon',
];

export class World {
  readonly keystoneServiceId: string;
  readonly keystoneHost: string;
  readonly admin: User;
  readonly users: User[] = [];
  readonly projects: Named[] = [];
  readonly groups: Named[] = [];
  readonly domains: Named[] = [{ id: 'default', name: 'Default' }];
  readonly roles: Named[] = [...SIMULATED_ROLES];
  readonly assignments: Assignment[] = [];
  /** The address a burst of failed logins comes from (RFC 5737 TEST-NET-3). */
  readonly attackerAddress: string;
  private readonly used = new Set<string>();

  constructor(private readonly rnd: Random) {
    this.keystoneServiceId = rnd.hex(32);
    this.keystoneHost = `ctl${rnd.int(1, 3)}`;
    this.attackerAddress = `203.0.113.${rnd.int(2, 254)}`;
    this.domains.push({ id: rnd.hex(32), name: 'partners' });
    for (let i = 0; i < 8; i++) this.newProject();
    for (let i = 0; i < 4; i++) this.newGroup();
    this.admin = { id: rnd.hex(32), name: 'admin', domainId: 'default', projectId: this.projects[0]!.id, failures: 0 };
    for (let i = 0; i < 16; i++) this.newUser();
  }

  newUser(): User {
    const name = this.unique(this.rnd.pick(FIRST));
    const domainId = this.rnd.chance(0.85) ? 'default' : this.rnd.pick(this.domains).id;
    const u: User = { id: this.rnd.hex(32), name, domainId, projectId: this.rnd.pick(this.projects).id, failures: 0 };
    this.users.push(u);
    return u;
  }

  newProject(): Named {
    return this.add(this.projects, () => `${this.rnd.pick(TEAMS)}-${this.rnd.pick(STAGES)}`);
  }

  newGroup(): Named {
    return this.add(this.groups, () => `${this.rnd.pick(TEAMS)}-team`);
  }

  newDomain(): Named {
    return this.add(this.domains, () => `tenant-${this.rnd.pick(TEAMS)}`);
  }

  newRole(): Named {
    return this.add(this.roles, () => `${this.rnd.pick(TEAMS)}-operator`);
  }

  /** A new object with a fresh id and a unique name (id drawn first, as the seeds expect). */
  private add(list: Named[], base: () => string): Named {
    const n = { id: this.rnd.hex(32), name: this.unique(base()) };
    list.push(n);
    return n;
  }

  /** Removes and returns one of `list`, keeping at least `keep` (and never the built-in ones). */
  removeFrom<T>(list: T[], keep: number, fixed = 0): T | undefined {
    if (list.length <= Math.max(keep, fixed)) return undefined;
    const i = this.rnd.int(fixed, list.length - 1);
    return list.splice(i, 1)[0];
  }

  /** A caller address: each user mostly calls from "their" address, sometimes from another. */
  addressOf(u: User): string {
    const h = parseInt(u.id.slice(0, 4), 16);
    if (this.rnd.chance(0.9)) return `${CLIENT_NETS[h % 2]!}${(h % 250) + 2}`;
    return `${this.rnd.pick(CLIENT_NETS)}${this.rnd.int(2, 254)}`;
  }

  agentOf(u: User): string {
    return AGENTS[parseInt(u.id.slice(4, 8), 16) % AGENTS.length]!;
  }

  /** Names stay distinct over a long run: `alice`, then `alice2`, `alice3`... */
  private unique(base: string): string {
    let name = base;
    for (let n = 2; this.used.has(name); n++) name = `${base}${n}`;
    this.used.add(name);
    return name;
  }
}
