/** A request parameter, as extract.ts records it: JSON-schema-like, for form values (every leaf a string). */
export interface ParamSchema {
  type?: 'array' | 'boolean' | 'integer' | 'object' | 'string';
  enum?: string[];
  /** `''` is accepted too (the SDK's `Emptyable`): it clears the value. */
  emptyable?: true;
  anyOf?: ParamSchema[];
  items?: ParamSchema;
  properties?: Record<string, ParamSchema>;
  required?: string[];
  additionalProperties?: ParamSchema;
  /** Documented by Stripe, listed in not-emulated.ts: refused with a message saying so. */
  'x-not-emulated'?: true;
}

/** A field of a response object: its SDK type, and the fields of a nested object. */
export interface ObjectField {
  type: string;
  nullable?: true;
  /** Present only for some objects (the SDK's `?`): e.g. one key per payment method type. */
  optional?: true;
  properties?: Record<string, ObjectField>;
}

export interface Operation {
  operationId: string;
  parameters: ParamSchema;
}

export interface TrimmedSpec {
  info: { source: string; stripe: string; apiVersion: string; openapi: string; regenerate: string };
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Record<string, ObjectField>> };
}
