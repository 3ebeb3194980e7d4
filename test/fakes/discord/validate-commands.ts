/** Validation of application command definitions (bulk overwrite / create), as Discord does it. */
import { Issues, type IssuePath } from './errors.js';
import { isInt, isRecord, toJsonObject, type JsonObject } from './json.js';

const NAME_RE = /^[-_\p{L}\p{N}\p{sc=Deva}\p{sc=Thai}]{1,32}$/u;
const OPTION_TYPES = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];

export const CommandOptionType = {
  SubCommand: 1,
  SubCommandGroup: 2,
  String: 3,
  Integer: 4,
  Boolean: 5,
  User: 6,
  Channel: 7,
  Role: 8,
  Mentionable: 9,
  Number: 10,
  Attachment: 11,
} as const;

function checkName(issues: Issues, path: IssuePath, v: unknown, chatInput: boolean): string | undefined {
  if (typeof v !== 'string') {
    issues.add(path, 'BASE_TYPE_REQUIRED', 'This field is required');
    return undefined;
  }
  const len = [...v].length;
  if (len < 1 || len > 32) {
    issues.add(path, 'BASE_TYPE_BAD_LENGTH', 'Must be between 1 and 32 in length.');
    return v;
  }
  if (chatInput) {
    if (!NAME_RE.test(v)) issues.add(path, 'APPLICATION_COMMAND_INVALID_NAME', 'Command name is invalid');
    else if (v !== v.toLowerCase()) issues.add(path, 'APPLICATION_COMMAND_INVALID_NAME', 'Command name is invalid');
  }
  return v;
}

function checkDescription(issues: Issues, path: IssuePath, v: unknown): void {
  if (typeof v !== 'string') {
    issues.add(path, 'BASE_TYPE_REQUIRED', 'This field is required');
    return;
  }
  const len = [...v].length;
  if (len < 1 || len > 100) issues.add(path, 'BASE_TYPE_BAD_LENGTH', 'Must be between 1 and 100 in length.');
}

function checkOptions(issues: Issues, path: IssuePath, v: unknown, depth: number): void {
  if (v === undefined || v === null) return;
  if (!Array.isArray(v)) {
    issues.add(path, 'LIST_TYPE_CONVERT', 'Only iterables may be used in a ListType');
    return;
  }
  if (v.length > 25) issues.add(path, 'BASE_TYPE_MAX_LENGTH', 'Must be 25 or fewer in length.');
  const names = new Set<string>();
  let seenOptional = false;
  let subCount = 0;
  v.forEach((raw, i) => {
    const p = [...path, i];
    if (!isRecord(raw)) {
      issues.add(p, 'MODEL_TYPE_CONVERT', 'Only dictionaries may be used in a ModelType');
      return;
    }
    const type = raw.type;
    if (!isInt(type) || !OPTION_TYPES.includes(type)) {
      issues.add([...p, 'type'], 'BASE_TYPE_CHOICES', `Value must be one of {${OPTION_TYPES.join(', ')}}.`);
      return;
    }
    const name = checkName(issues, [...p, 'name'], raw.name, true);
    if (name !== undefined) {
      if (names.has(name)) {
        issues.add(
          [...p, 'name'],
          'APPLICATION_COMMAND_OPTIONS_NAME_ALREADY_EXISTS',
          `Option name ${name} is already used in these options`,
        );
      }
      names.add(name);
    }
    checkDescription(issues, [...p, 'description'], raw.description);
    const isSub = type === 1 || type === 2;
    if (isSub) {
      subCount++;
      if (raw.required !== undefined && raw.required !== false) {
        issues.add(
          [...p, 'required'],
          'APPLICATION_COMMAND_OPTION_SUBCOMMAND_REQUIRED',
          'Sub-commands and sub-command groups cannot be required',
        );
      }
      if (type === 2 && depth > 0)
        issues.add(
          [...p, 'type'],
          'APPLICATION_COMMAND_OPTIONS_TYPE_INVALID',
          'Sub-command groups can only be nested at the top level',
        );
      if (type === 1 && depth > 1)
        issues.add([...p, 'type'], 'APPLICATION_COMMAND_OPTIONS_TYPE_INVALID', 'Sub-commands are nested too deeply');
      if (type === 2 && Array.isArray(raw.options)) {
        raw.options.forEach((o, j) => {
          if (isRecord(o) && o.type !== 1) {
            issues.add(
              [...p, 'options', j, 'type'],
              'APPLICATION_COMMAND_OPTIONS_TYPE_INVALID',
              'Sub-command groups may only contain sub-commands',
            );
          }
        });
      }
      checkOptions(issues, [...p, 'options'], raw.options, depth + 1);
      return;
    }
    if (raw.options !== undefined && raw.options !== null) {
      issues.add(
        [...p, 'options'],
        'APPLICATION_COMMAND_OPTIONS_TYPE_INVALID',
        'Only sub-commands and groups can have options',
      );
    }
    const required = raw.required === true;
    if (raw.required !== undefined && typeof raw.required !== 'boolean') {
      issues.add([...p, 'required'], 'BASE_TYPE_BOOLEAN', 'Must be either true or false.');
    }
    if (required && seenOptional) {
      issues.add(
        [...p, 'required'],
        'APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID',
        'Required options must be placed before non-required options',
      );
    }
    if (!required) seenOptional = true;
    const choices = raw.choices;
    if (choices !== undefined && choices !== null) {
      if (type !== 3 && type !== 4 && type !== 10) {
        issues.add(
          [...p, 'choices'],
          'APPLICATION_COMMAND_OPTION_CHOICES_INVALID_TYPE',
          'Choices are only allowed for string, integer and number options',
        );
      } else if (!Array.isArray(choices)) {
        issues.add([...p, 'choices'], 'LIST_TYPE_CONVERT', 'Only iterables may be used in a ListType');
      } else {
        if (choices.length > 25)
          issues.add([...p, 'choices'], 'BASE_TYPE_MAX_LENGTH', 'Must be 25 or fewer in length.');
        if (raw.autocomplete === true && choices.length > 0) {
          issues.add(
            [...p, 'autocomplete'],
            'APPLICATION_COMMAND_AUTOCOMPLETE_WITH_CHOICES',
            'Autocomplete cannot be enabled with choices',
          );
        }
        choices.forEach((c, k) => {
          const cp = [...p, 'choices', k];
          if (!isRecord(c)) {
            issues.add(cp, 'MODEL_TYPE_CONVERT', 'Only dictionaries may be used in a ModelType');
            return;
          }
          if (typeof c.name !== 'string' || c.name.length < 1 || c.name.length > 100) {
            issues.add([...cp, 'name'], 'BASE_TYPE_BAD_LENGTH', 'Must be between 1 and 100 in length.');
          }
          if (type === 3) {
            if (typeof c.value !== 'string' || c.value.length < 1 || c.value.length > 100) {
              issues.add([...cp, 'value'], 'BASE_TYPE_BAD_LENGTH', 'Must be between 1 and 100 in length.');
            }
          } else if (type === 4 ? !isInt(c.value) : typeof c.value !== 'number') {
            issues.add(
              [...cp, 'value'],
              'NUMBER_TYPE_COERCE',
              `Value "${String(c.value)}" is not ${type === 4 ? 'int' : 'number'}.`,
            );
          }
        });
      }
    }
    for (const key of ['min_length', 'max_length'] as const) {
      const val = raw[key];
      if (val === undefined || val === null) continue;
      if (type !== 3) {
        issues.add(
          [...p, key],
          'APPLICATION_COMMAND_OPTION_LENGTH_INVALID_TYPE',
          `${key} is only allowed for string options`,
        );
      } else if (!isInt(val)) {
        issues.add([...p, key], 'NUMBER_TYPE_COERCE', `Value "${String(val)}" is not int.`);
      } else if (val > 6000) {
        issues.add([...p, key], 'NUMBER_TYPE_MAX', 'int value should be less than or equal to 6000.');
      } else if (val < (key === 'min_length' ? 0 : 1)) {
        issues.add(
          [...p, key],
          'NUMBER_TYPE_MIN',
          `int value should be greater than or equal to ${key === 'min_length' ? 0 : 1}.`,
        );
      }
    }
    if (isInt(raw.min_length) && isInt(raw.max_length) && raw.min_length > raw.max_length) {
      issues.add(
        [...p, 'min_length'],
        'APPLICATION_COMMAND_OPTION_MIN_GREATER_THAN_MAX',
        'min_length must be less than or equal to max_length',
      );
    }
    for (const key of ['min_value', 'max_value'] as const) {
      const val = raw[key];
      if (val === undefined || val === null) continue;
      if (type !== 4 && type !== 10) {
        issues.add(
          [...p, key],
          'APPLICATION_COMMAND_OPTION_VALUE_INVALID_TYPE',
          `${key} is only allowed for integer and number options`,
        );
      } else if (typeof val !== 'number' || (type === 4 && !Number.isInteger(val))) {
        issues.add(
          [...p, key],
          'NUMBER_TYPE_COERCE',
          `Value "${String(val)}" is not ${type === 4 ? 'int' : 'number'}.`,
        );
      } else if (Math.abs(val) > 2 ** 53) {
        issues.add(
          [...p, key],
          val > 0 ? 'NUMBER_TYPE_MAX' : 'NUMBER_TYPE_MIN',
          `${type === 4 ? 'int' : 'float'} value should be ${val > 0 ? 'less' : 'greater'} than or equal to ${val > 0 ? '' : '-'}${2 ** 53}.`,
        );
      }
    }
    if (raw.channel_types !== undefined && type !== 7) {
      issues.add(
        [...p, 'channel_types'],
        'APPLICATION_COMMAND_OPTION_CHANNEL_TYPES_INVALID_TYPE',
        'channel_types is only allowed for channel options',
      );
    }
  });
  if (subCount > 0 && subCount !== v.length) {
    issues.add(
      path,
      'APPLICATION_COMMAND_OPTIONS_TYPE_INVALID',
      'Sub-command and sub-command group option types are mutually exclusive to all other types',
    );
  }
}

/** Validates one command definition; returns a cleaned copy. */
export function validateCommand(issues: Issues, path: IssuePath, raw: unknown): JsonObject | undefined {
  if (!isRecord(raw)) {
    issues.add(path, 'MODEL_TYPE_CONVERT', 'Only dictionaries may be used in a ModelType');
    return undefined;
  }
  const type = raw.type === undefined || raw.type === null ? 1 : raw.type;
  if (!isInt(type) || type < 1 || type > 4) {
    issues.add([...path, 'type'], 'BASE_TYPE_CHOICES', 'Value must be one of {1, 2, 3, 4}.');
    return undefined;
  }
  checkName(issues, [...path, 'name'], raw.name, type === 1);
  if (type === 1) {
    checkDescription(issues, [...path, 'description'], raw.description);
    checkOptions(issues, [...path, 'options'], raw.options, 0);
  } else {
    if (typeof raw.description === 'string' && raw.description !== '') {
      issues.add(
        [...path, 'description'],
        'APPLICATION_COMMAND_CONTEXT_MENU_DESCRIPTION',
        'Context menu commands cannot have a description',
      );
    }
    if (Array.isArray(raw.options) && raw.options.length > 0) {
      issues.add(
        [...path, 'options'],
        'APPLICATION_COMMAND_CONTEXT_MENU_OPTIONS',
        'Context menu commands cannot have options',
      );
    }
  }
  const dmp = raw.default_member_permissions;
  if (dmp !== undefined && dmp !== null && (typeof dmp !== 'string' || !/^\d+$/.test(dmp))) {
    issues.add([...path, 'default_member_permissions'], 'BASE_TYPE_STRING', 'Must be a permission bitfield string.');
  }
  const clean = toJsonObject(raw);
  clean.type = type;
  return clean;
}

export function validateCommandList(issues: Issues, body: unknown): JsonObject[] {
  if (!Array.isArray(body)) {
    issues.add([], 'LIST_TYPE_CONVERT', 'Only iterables may be used in a ListType');
    return [];
  }
  const out: JsonObject[] = [];
  const seen = new Set<string>();
  const counts = new Map<number, number>();
  body.forEach((raw, i) => {
    const cmd = validateCommand(issues, [i], raw);
    if (!cmd) return;
    const key = `${String(cmd.type)}:${String(cmd.name)}`;
    if (seen.has(key))
      issues.add([i, 'name'], 'APPLICATION_COMMANDS_DUPLICATE_NAME', 'Application command names must be unique');
    seen.add(key);
    const t = typeof cmd.type === 'number' ? cmd.type : 1;
    counts.set(t, (counts.get(t) ?? 0) + 1);
    out.push(cmd);
  });
  if ((counts.get(1) ?? 0) > 100) issues.add([], 'BASE_TYPE_MAX_LENGTH', 'Must be 100 or fewer in length.');
  if ((counts.get(2) ?? 0) > 15 || (counts.get(3) ?? 0) > 15) {
    issues.add(
      [],
      'APPLICATION_COMMAND_TOO_MANY_CONTEXT_MENUS',
      'Maximum number of context menu commands reached (15)',
    );
  }
  return out;
}
