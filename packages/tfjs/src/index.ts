/**
 * @robovla/tfjs: the tfjs kit of robovla plugins.
 *
 * @since 0.1.0
 */
export {}
