import {
  getToHaveDataSourceWithProperties,
  getToHaveResourceWithProperties,
  returnMatcherToJest,
  type TerraformConstructor,
} from "cdktf/lib/testing/matchers";
import { expect } from "vitest";

// cdktf's matchers are written for jest; vitest registers them explicitly (no globals). The
// default pass evaluation is a recursive partial match that ignores key casing.
// `toBeValidTerraform` / `toPlanSuccessfully` need a Terraform binary and are not registered.
const resourceWith = getToHaveResourceWithProperties();
const dataSourceWith = getToHaveDataSourceWithProperties();

expect.extend({
  toHaveResource: (received: string, type: TerraformConstructor) =>
    returnMatcherToJest(resourceWith(received, type, {})),
  toHaveResourceWithProperties: (received: string, type: TerraformConstructor, properties: Record<string, unknown>) =>
    returnMatcherToJest(resourceWith(received, type, properties)),
  toHaveDataSource: (received: string, type: TerraformConstructor) =>
    returnMatcherToJest(dataSourceWith(received, type, {})),
  toHaveDataSourceWithProperties: (received: string, type: TerraformConstructor, properties: Record<string, unknown>) =>
    returnMatcherToJest(dataSourceWith(received, type, properties)),
});

interface CdktfMatchers<R = unknown> {
  toHaveResource(type: TerraformConstructor): R;
  toHaveResourceWithProperties(type: TerraformConstructor, properties: Record<string, unknown>): R;
  toHaveDataSource(type: TerraformConstructor): R;
  toHaveDataSourceWithProperties(type: TerraformConstructor, properties: Record<string, unknown>): R;
}

declare module "vitest" {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any, @typescript-eslint/no-empty-object-type
  interface Matchers<T = any> extends CdktfMatchers<T> {}
}
