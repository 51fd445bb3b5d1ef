/**
 * The mix of a simulated cloud's audit traffic. Each `next()` is one thing that happens: a login
 * (failing with `failureRatio`), an identity change (create, update, delete across resource
 * types), a role granted or revoked, or an API call (request and response). `burst()` is a
 * brute-force attempt: many failed logins from one address within seconds, enough to trip the
 * burst and failure-rate alerts of dashboards/alerts/.
 */
import { apiCall } from './api.js';
import { crud, login, roleAssignment, type Ctx, type LoginResult } from './keystone.js';
import type { Envelope, Notification } from './notification.js';
import { Random } from './random.js';
import { World, type Assignment, type User } from './world.js';

export interface TrafficOptions {
  /** Fraction of (non-burst) logins that fail, 0..1. */
  readonly failureRatio: number;
  /** Fraction of API calls that fail (4xx/5xx, or raise), 0..1. */
  readonly apiFailureRatio: number;
  /** Fraction of notifications sent in the v1 envelope (oslo driver `messaging`); the rest v2. */
  readonly v1Ratio: number;
  readonly seed: number;
}

/** Relative frequency of each scenario. Logins dominate, as in a real cloud. */
const SCENARIOS = { login: 40, identity: 12, role: 8, api: 40 } as const;
const OPERATIONS = { created: 40, updated: 35, deleted: 25 } as const;
const RESOURCES = { user: 35, project: 30, group: 15, role: 8, domain: 4 } as const;
const FAILURES = { wrong_password: 60, unknown_user: 25, locked: 10, expired: 5 } as const;
const GUESSES = ['admin', 'root', 'test', 'guest', 'operator', 'demo', 'backup', 'support', 'oracle', 'ubuntu'];

export class Traffic {
  readonly world: World;
  private readonly rnd: Random;

  constructor(private readonly options: TrafficOptions) {
    this.rnd = new Random(options.seed);
    this.world = new World(this.rnd);
  }

  next(nowMs: number): Notification[] {
    const c = this.ctx(nowMs);
    switch (this.rnd.weighted(SCENARIOS)) {
      case 'login':
        return [this.login(c)];
      case 'identity':
        return [this.identity(c)];
      case 'role':
        return [this.role(c)];
      case 'api':
        return apiCall(c, this.caller(), this.options.apiFailureRatio);
    }
  }

  /**
   * `size` failed logins from the attacker's address: every third one a password guess for the
   * admin account (no reason, then the lockout, 401, once three have failed), the others unknown
   * user names guessed (404) or wrong passwords for real accounts.
   */
  burst(nowMs: number, size: number): Notification[] {
    const { world, rnd } = this;
    const from = { address: world.attackerAddress, agent: 'python-requests/2.31.0' };
    const out: Notification[] = [];
    for (let i = 0; i < size; i++) {
      const c = this.ctx(nowMs + i);
      if (i % 3 !== 0 && rnd.chance(0.6)) {
        const guess: User = { id: '', name: rnd.pick(GUESSES), domainId: 'default', projectId: '', failures: 0 };
        out.push(login(c, guess, 'unknown_user', from, 'burst_failure'));
      } else {
        const target = i % 3 === 0 ? world.admin : rnd.pick(world.users);
        const result: LoginResult = target.failures >= 3 ? 'locked' : 'wrong_password';
        target.failures += 1;
        out.push(login(c, target, result, from, 'burst_failure'));
      }
    }
    return out;
  }

  private ctx(nowMs: number): Ctx {
    const envelope: Envelope = this.rnd.chance(this.options.v1Ratio) ? 'v1' : 'v2';
    return { world: this.world, rnd: this.rnd, nowMs, envelope };
  }

  /** Who calls: mostly ordinary users, sometimes the admin. */
  private caller(): User {
    return this.rnd.chance(0.15) ? this.world.admin : this.rnd.pick(this.world.users);
  }

  private login(c: Ctx): Notification {
    const user = this.caller();
    if (!this.rnd.chance(this.options.failureRatio)) {
      user.failures = 0;
      return login(c, user, 'success');
    }
    const kind = this.rnd.weighted(FAILURES);
    if (kind === 'unknown_user') {
      // A typo of a real name, in the user's domain.
      return login(c, { ...user, name: `${user.name}${this.rnd.pick(['1', 'x', '_', '.'])}` }, 'unknown_user');
    }
    if (kind === 'wrong_password') user.failures += 1;
    return login(c, user, user.failures > 3 ? 'locked' : kind);
  }

  private identity(c: Ctx): Notification {
    const { world, rnd } = this;
    const type = rnd.weighted(RESOURCES);
    let operation = rnd.weighted(OPERATIONS);
    const pools = { user: world.users, project: world.projects, group: world.groups, role: world.roles, domain: world.domains };
    // Built-in objects are never deleted: the default domain and the three standard roles.
    const fixed = type === 'domain' ? 1 : type === 'role' ? 3 : 0;
    const keep = type === 'user' ? 8 : type === 'project' ? 4 : 1;
    if (operation === 'deleted') {
      const gone = world.removeFrom<{ id: string }>(pools[type], keep, fixed);
      if (gone !== undefined) {
        if (type === 'user' || type === 'group') this.dropAssignments(gone.id);
        // Keystone Zed sends user deletions without an initiator: half of them here.
        const by = type === 'user' && rnd.chance(0.5) ? undefined : world.admin;
        return crud(c, type, 'deleted', gone.id, by);
      }
      operation = 'created';
    }
    if (operation === 'created') {
      const made = { user: () => world.newUser(), project: () => world.newProject(), group: () => world.newGroup(), role: () => world.newRole(), domain: () => world.newDomain() }[type]();
      return crud(c, type, 'created', made.id, world.admin);
    }
    const pool: ReadonlyArray<{ id: string }> = pools[type];
    return crud(c, type, 'updated', rnd.pick(pool).id, rnd.chance(0.8) ? world.admin : undefined);
  }

  private role(c: Ctx): Notification {
    const { world, rnd } = this;
    if (world.assignments.length > 0 && rnd.chance(0.35)) {
      const i = rnd.int(0, world.assignments.length - 1);
      const a = world.assignments.splice(i, 1)[0]!;
      return roleAssignment(c, 'deleted', a, world.admin);
    }
    const toGroup = rnd.chance(0.2);
    const a: Assignment = {
      // admin is granted rarely (5 %), as it should be.
      role: rnd.chance(0.05) ? world.roles[0]! : rnd.pick(world.roles.slice(1)),
      actor: toGroup ? { kind: 'group', id: rnd.pick(world.groups).id } : { kind: 'user', id: rnd.pick(world.users).id },
      scope: toGroup && rnd.chance(0.5) ? { kind: 'domain', id: rnd.pick(world.domains).id } : { kind: 'project', id: rnd.pick(world.projects).id },
      inherited: toGroup && rnd.chance(0.3),
    };
    world.assignments.push(a);
    return roleAssignment(c, 'created', a, world.admin);
  }

  private dropAssignments(actorId: string): void {
    const list = this.world.assignments;
    for (let i = list.length - 1; i >= 0; i--) if (list[i]!.actor.id === actorId) list.splice(i, 1);
  }
}
