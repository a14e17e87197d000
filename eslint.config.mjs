// ESLint flat config. Syntax-level rules only (no type-aware linting) so that `eslint .` stays fast.
import js from "@eslint/js";
import pulumi from "@pulumi/eslint-plugin";
import { defineConfig } from "eslint/config";
import tseslint from "typescript-eslint";

export default defineConfig(
  {
    // ESLint already skips node_modules at every level; bin/ is the tsc output directory.
    ignores: ["bin/**", "**/node_modules/**", ".pulumi/**"],
  },
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    // Registered so that its rule names resolve (e.g. in disable comments). Both of its rules
    // (no-output-in-template-literal, no-output-instance-in-template-literal) read TypeScript type
    // information (parserServices.program), which this config deliberately does not load, so none
    // is enabled: enabling them without type information makes ESLint throw.
    plugins: { "@pulumi": pulumi },
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
