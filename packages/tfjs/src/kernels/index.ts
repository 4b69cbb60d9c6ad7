export const registerFastKernels = (_backend: string): string | undefined => undefined
