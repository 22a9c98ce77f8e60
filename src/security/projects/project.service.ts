import type { Kysely } from 'kysely';
import { type Clock, systemClock } from '../../core/clock.js';
import { ConflictError, InputError, NotFoundError, UnprocessableError } from '../../core/errors/index.js';
import type { Db } from '../../storage/metadata/index.js';
import type { AuditLog } from '../audit/index.js';
import { type Principal, visibleProjects } from '../rbac/index.js';
import * as repo from './project.repository.js';
import type { ProjectTable } from './project.table.js';

/** A project: the unit of tenancy, with the regions its data may live in. */
export interface Project {
  name: string;
  description: string;
  allowedRegions: string[];
  createdAt: string;
  createdBy: string;
  updatedAt: string;
}

export const DEFAULT_PROJECT = 'default';
export const PROJECT_NAME_PATTERN = '^[a-z][a-z0-9-]{0,62}$';

export interface RequestContext {
  principal: Principal;
  requestId?: string | undefined;
}

export class ProjectService {
  constructor(
    private readonly db: Kysely<Db>,
    private readonly audit: AuditLog,
    /** region labels declared in config; a project may only allow these */
    private readonly knownRegions: readonly string[],
    private readonly clock: Clock = systemClock,
  ) {}

  async get(name: string): Promise<Project> {
    const row = await repo.findProject(this.db, name);
    if (!row) throw new NotFoundError('FALAJ_PROJECT_NOT_FOUND', `project "${name}" does not exist: see falaj projects list`);
    return toProject(row);
  }

  /** Projects the principal may see (all of them for a global binding). */
  async list(principal: Principal): Promise<Project[]> {
    const visible = visibleProjects(principal);
    return (await repo.listProjects(this.db)).filter((p) => !visible || visible.has(p.name)).map(toProject);
  }

  async create(ctx: RequestContext, input: { name: string; description?: string; allowedRegions?: string[] }): Promise<Project> {
    const allowedRegions = this.checkRegions(input.allowedRegions ?? ['local']);
    const now = this.clock.now().toISOString();
    const row: ProjectTable = {
      name: input.name,
      description: input.description ?? '',
      allowed_regions: JSON.stringify(allowedRegions),
      created_at: now,
      created_by: ctx.principal.id,
      updated_at: now,
    };
    return this.db.transaction().execute(async (tx) => {
      if (!(await repo.insertProject(tx, row))) {
        throw new ConflictError('FALAJ_PROJECT_EXISTS', `project "${input.name}" already exists`);
      }
      await this.audit.append(tx, {
        actor: ctx.principal.id,
        action: 'project.create',
        resource: `project/${input.name}`,
        project: input.name,
        outcome: 'success',
        requestId: ctx.requestId,
        details: { allowedRegions, description: row.description },
      });
      return toProject(row);
    });
  }

  async update(ctx: RequestContext, name: string, patch: { description?: string; allowedRegions?: string[] }): Promise<Project> {
    const allowedRegions = patch.allowedRegions ? this.checkRegions(patch.allowedRegions) : undefined;
    return this.db.transaction().execute(async (tx) => {
      const before = await repo.findProject(tx, name);
      if (!before) throw new NotFoundError('FALAJ_PROJECT_NOT_FOUND', `project "${name}" does not exist`);
      const changes = {
        ...(patch.description !== undefined ? { description: patch.description } : {}),
        ...(allowedRegions ? { allowed_regions: JSON.stringify(allowedRegions) } : {}),
        updated_at: this.clock.now().toISOString(),
      };
      await repo.updateProject(tx, name, changes);
      await this.audit.append(tx, {
        actor: ctx.principal.id,
        action: 'project.update',
        resource: `project/${name}`,
        project: name,
        outcome: 'success',
        requestId: ctx.requestId,
        details: { before: { description: before.description, allowedRegions: JSON.parse(before.allowed_regions) }, patch },
      });
      return toProject({ ...before, ...changes });
    });
  }

  /** Creates the `default` project on first start; a no-op when it exists. */
  async ensureDefault(ctx: RequestContext): Promise<void> {
    if (await repo.findProject(this.db, DEFAULT_PROJECT)) return;
    try {
      await this.create(ctx, { name: DEFAULT_PROJECT, description: 'Created on first start', allowedRegions: [...this.knownRegions] });
    } catch (err) {
      if (!(err instanceof ConflictError)) throw err; // another replica created it first
    }
  }

  private checkRegions(regions: string[]): string[] {
    const unique = [...new Set(regions)];
    const unknown = unique.filter((r) => !this.knownRegions.includes(r));
    if (unknown.length > 0) {
      throw new UnprocessableError(
        'FALAJ_REGION_UNKNOWN',
        `unknown region(s) ${unknown.join(', ')}: declare them under "regions" in the config (known: ${this.knownRegions.join(', ')})`,
        { details: { unknown } },
      );
    }
    if (unique.length === 0) throw new InputError('FALAJ_VALIDATION_FAILED', 'a project needs at least one allowed region');
    return unique;
  }
}

function toProject(row: ProjectTable): Project {
  return {
    name: row.name,
    description: row.description,
    allowedRegions: JSON.parse(row.allowed_regions) as string[],
    createdAt: row.created_at,
    createdBy: row.created_by,
    updatedAt: row.updated_at,
  };
}
