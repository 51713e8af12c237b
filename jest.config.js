/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: "node",
  roots: ["<rootDir>/test"],
  testMatch: ["**/*.test.ts"],
  transform: {
    "^.+\\.ts$": ["ts-jest", { tsconfig: "tsconfig.json" }],
    // age-encryption and its @noble/@scure dependencies ship only ES modules, which Jest's own
    // module system cannot load without --experimental-vm-modules: transpiled to CommonJS here.
    // The packaged code loads them as Node.js does (provider/seal/age.ts).
    "/node_modules/(age-encryption|@noble|@scure)/.+\\.js$": ["ts-jest", { tsconfig: { allowJs: true, module: "commonjs", target: "ES2022", esModuleInterop: true }, isolatedModules: true }],
  },
  transformIgnorePatterns: ["/node_modules/(?!(age-encryption|@noble|@scure)/)"],
  // End-to-end tests drive the real Pulumi CLI; they get their own, longer budget.
  testTimeout: 30000,
  maxWorkers: 2,
  reporters: ["default", "<rootDir>/test/summary-reporter.js"],
};
