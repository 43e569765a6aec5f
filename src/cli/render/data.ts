import { stringify } from 'yaml';

export const renderJson = (value: unknown): string => `${JSON.stringify(value, null, 2)}\n`;

export const renderYaml = (value: unknown): string => stringify(value, { lineWidth: 0 });
