export { ProjectService, DEFAULT_PROJECT, PROJECT_NAME_PATTERN, type Project, type RequestContext } from './project.service.js';
