// ESLint flat config: syntax-level rules everywhere; type-aware Pulumi rules for the program only.
import js from "@eslint/js";
import pulumi from "@pulumi/eslint-plugin";
import { defineConfig } from "eslint/config";
import tseslint from "typescript-eslint";

/**
 * The files the type-aware Pulumi rules lint: the program only (the tests would double the cost and
 * create no resources). scripts/check.ts hands these files the program its type-check built.
 */
export const typeAwareFiles = ["index.ts", "components/**/*.ts", "config/**/*.ts"];

export default defineConfig(
  {
    // ESLint already skips node_modules at every level; bin/ is the tsc output directory.
    ignores: [
      "bin/**",
      "**/node_modules/**",
      ".pulumi/**",
      ".pulumi-cli/**",
      ".pulumi-state/**",
      "reports/**",
      ".stryker-tmp/**",
      ".rehearsal/**",
    ],
  },
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    plugins: { "@pulumi": pulumi },
  },
  {
    // The Pulumi rules catch an Output interpolated into a string ("Calling [toString] on an
    // [Output<T>] is not supported"). They need type information.
    files: typeAwareFiles,
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      "@pulumi/no-output-in-template-literal": "error",
      "@pulumi/no-output-instance-in-template-literal": "error",
    },
  },
  {
    files: ["**/*.ts"],
    rules: {
      // tsc (noUnusedLocals/noUnusedParameters) also checks this; keep both agreeing on the `_` escape hatch.
      "@typescript-eslint/no-unused-vars": [
        "error",
        { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrorsIgnorePattern: "^_", destructuredArrayIgnorePattern: "^_" },
      ],
    },
  },
  {
    // Tests read mocked resource inputs and policy props, which are untyped by nature.
    files: ["tests/**/*.ts"],
    rules: { "@typescript-eslint/no-explicit-any": "off" },
  },
  {
    // Plain JavaScript config files run on Node.
    files: ["**/*.{js,cjs,mjs}"],
    languageOptions: {
      globals: { process: "readonly", console: "readonly", require: "readonly", module: "writable", __dirname: "readonly" },
    },
  },
);
